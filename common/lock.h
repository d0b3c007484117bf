/* lock: lock files created with O_CREAT|O_EXCL, holding "<pid> <hostname>".
 *
 * A lock whose holder is gone (same host, kill(pid, 0) fails with ESRCH) or
 * that is older than the stale age is removed and taken.  Every lock this
 * process holds is remembered, so lock_release_all() can drop them on any
 * exit path, including from a signal handler. */
#ifndef LOCK_H
#define LOCK_H

#include <stdbool.h>

#define LOCK_PATH_MAX 4096

enum lock_result { LOCK_TAKEN, LOCK_BUSY, LOCK_ERROR };

/* Try to take the lock at path, retrying with a short backoff for up to
 * wait_ms milliseconds (0: one try).  A lock older than stale_seconds is
 * broken whoever holds it. */
enum lock_result lock_take(const char *path, int wait_ms, int stale_seconds);
void lock_release(const char *path);
/* Async-signal-safe. */
void lock_release_all(void);
/* The host name written into lock files (default: gethostname).  Locks of
 * other hosts are judged by age only. */
void lock_set_hostname(const char *name);
/* Refresh the lock's age (a long session keeps it from looking stale). */
void lock_touch(const char *path);

#endif
