/* lock: see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stamp.h"

/* A session holds at most a maildrop lock and a write lock at once.
 * Which slots are in use is kept apart from the paths, so looking costs
 * no page of the (mostly untouched) paths. */
#define MAX_HELD 4
static char held[MAX_HELD][LOCK_PATH_MAX];
static volatile sig_atomic_t in_use[MAX_HELD];

static void remember(const char *path)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (!in_use[i]) {
			snprintf(held[i], sizeof held[i], "%s", path);
			in_use[i] = 1;
			return;
		}
}

static void forget(const char *path)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (in_use[i] && strcmp(held[i], path) == 0)
			in_use[i] = 0;
}

static char host_name[256];

void lock_set_hostname(const char *name)
{
	snprintf(host_name, sizeof host_name, "%s", name);
}

static const char *hostname(void)
{
	if (!host_name[0] && gethostname(host_name, sizeof host_name - 1) != 0)
		strcpy(host_name, "localhost");
	return host_name;
}

/* A lock's creator writes its "<pid> <host>" line right after creating
 * it; an empty lock older than this was left by a creator killed in
 * between, and must not lock the mailbox up for the whole stale age. */
#define LOCK_EMPTY_GRACE 2      /* seconds */

/* When this host last booted: a lock of this host older than that is
 * stale whatever its pid now names. */
static time_t boot_time(void)
{
	struct timespec up;
	if (clock_gettime(CLOCK_BOOTTIME, &up) != 0)
		return 0;
	return time(NULL) - up.tv_sec;
}

/* Is the lock open on fd (with status st) stale?  A lock of this host is
 * judged by its process alone: gone (or the host rebooted since), stale at
 * once; alive, never, however long the session lasts.  Another host's
 * process cannot be asked, so its lock goes stale by age only; so do
 * malformed locks, and empty ones (a creator killed before writing) after
 * a short grace. */
static bool is_stale(int fd, const struct stat *st, int stale_seconds)
{
	time_t age = time(NULL) - st->st_mtime;
	bool aged = stale_seconds > 0 && age > stale_seconds;
	char text[300];
	ssize_t n = read(fd, text, sizeof text - 1);
	if (n == 0)
		return age >= LOCK_EMPTY_GRACE;
	if (n < 0)
		return aged;
	text[n] = '\0';
	char host[256];
	long pid;
	if (sscanf(text, "%ld %255s", &pid, host) != 2 || pid <= 0 ||
	    strcmp(host, hostname()) != 0)
		return aged;
	return (kill((pid_t)pid, 0) < 0 && errno == ESRCH) ||
	       st->st_mtime < boot_time();
}

/* Remove the lock at path if it is stale.  The breaker keeps the stale
 * file open and flock()ed while it decides and unlinks: while it is open
 * its inode number cannot be given to a fresh lock, and flock makes two
 * breakers take turns, so neither removes a lock the other just made. */
static void break_if_stale(const char *path, int stale_seconds)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st, now;
	if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 &&
	    is_stale(fd, &st, stale_seconds) && lstat(path, &now) == 0 &&
	    now.st_ino == st.st_ino && now.st_dev == st.st_dev) {
		log_msg(LOG_NOTICE, "removing stale lock %s", path);
		unlink(path);
	}
	close(fd);
}

/* "<pid> <host>\n", the text of every lock this process makes. */
static char own_text[300];
static size_t own_len;

/* One attempt at creating the lock; a lock in the way is judged (and
 * removed if stale, then tried again) only if judge is set. */
static enum lock_result try_once(const char *path, int stale_seconds,
				 bool judge)
{
	if (!own_len)
		own_len = (size_t)snprintf(own_text, sizeof own_text, "%ld %s\n",
					   (long)getpid(), hostname());
	for (int attempt = 0; attempt < 2; attempt++) {
		/* openat: musl's open() adds an fcntl after O_CLOEXEC. */
		int fd = openat(AT_FDCWD, path, O_CREAT | O_EXCL | O_WRONLY |
				O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			bool ok = write(fd, own_text, own_len) == (ssize_t)own_len;
			close(fd);
			if (!ok) {
				log_msg(LOG_ERR, "cannot write lock %s: %s", path,
					strerror(errno));
				unlink(path);
				return LOCK_ERROR;
			}
			remember(path);
			return LOCK_TAKEN;
		}
		if (errno != EEXIST) {
			log_msg(LOG_ERR, "cannot create lock %s: %s", path,
				strerror(errno));
			return LOCK_ERROR;
		}
		if (!judge)
			break;
		break_if_stale(path, stale_seconds);
	}
	return LOCK_BUSY;
}

/* A mailbox write lock is held for well under a millisecond per delivery,
 * so waiters retry every LOCK_PAUSE_MS: a longer pause leaves the lock idle
 * between holders when deliveries queue for one mailbox.  A retry is one
 * failed open(2); whether the lock in the way is stale (several system
 * calls) is judged at the first try and then every LOCK_JUDGE_EVERY_MS. */
#define LOCK_PAUSE_MS 1
#define LOCK_JUDGE_EVERY_MS 50

enum lock_result lock_take(const char *path, int wait_ms, int stale_seconds)
{
	enum lock_result r = try_once(path, stale_seconds, true);
	if (r != LOCK_BUSY || wait_ms <= 0)
		return r;               /* one try needs no clock */
	long long start = stamp_clock_ms(), judged = start;
	for (;;) {
		if (r != LOCK_BUSY)
			return r;
		long long now = stamp_clock_ms();
		if (now - start >= wait_ms)
			return r;
		struct timespec ts = { 0, LOCK_PAUSE_MS * 1000000L };
		nanosleep(&ts, NULL);
		bool judge = now - judged >= LOCK_JUDGE_EVERY_MS;
		if (judge)
			judged = now;
		r = try_once(path, stale_seconds, judge);
	}
}

/* Remove the lock at path only if it is still ours: if it aged out and
 * another process took it over, that process's lock stays.  Uses only
 * async-signal-safe calls. */
static void unlink_if_ours(const char *path)
{
	char text[sizeof own_text];
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, text, sizeof text);
	close(fd);
	if (n == (ssize_t)own_len && memcmp(text, own_text, own_len) == 0)
		unlink(path);
}

void lock_release(const char *path)
{
	forget(path);
	unlink_if_ours(path);
}

void lock_release_all(void)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (in_use[i]) {
			unlink_if_ours(held[i]);
			in_use[i] = 0;
		}
}

void lock_touch(const char *path)
{
	utimensat(AT_FDCWD, path, NULL, 0);
}
