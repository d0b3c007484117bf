/* lock: lock files created with O_CREAT|O_EXCL, holding "<pid> <hostname>".
 *
 * A lock of this host is stale when its process is gone (kill(pid, 0)
 * fails with ESRCH) or the host rebooted since it was made, and never while
 * its process lives; another host's lock is stale once older than the stale
 * age.  A stale lock is removed and taken.  Every lock this
 * process holds is remembered, so lock_release_all() can drop them on any
 * exit path, including from a signal handler. */
#ifndef LOCK_H
#define LOCK_H

#include <stdbool.h>

#define LOCK_PATH_MAX 4096

enum lock_result { LOCK_TAKEN, LOCK_BUSY, LOCK_ERROR };

/* Try to take the lock at path, retrying every millisecond (on a network
 * or FUSE file system, backing off to 16 ms with jitter after 3 tries)
 * until wait_ms milliseconds have passed on the monotonic clock (<= 0: one
 * try).  A
 * stale lock in the way is broken; another host's lock is stale once
 * older than stale_seconds. */
enum lock_result lock_take(const char *path, int wait_ms, int stale_seconds);
void lock_release(const char *path);
/* Async-signal-safe. */
void lock_release_all(void);
/* The host name written into lock files (default: gethostname).  Locks of
 * other hosts are judged by age only. */
void lock_set_hostname(const char *name);
/* Refresh the lock's age (a long session keeps other hosts from taking
 * it for stale). */
void lock_touch(const char *path);

#endif
