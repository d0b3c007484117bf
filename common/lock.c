/* lock: see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stamp.h"

/* A session holds at most a maildrop lock and a write lock at once.  Each
 * lock file stays open while held: releasing it then needs no read of it
 * (on a network file system each read, open and close is a round trip
 * made while others wait for the lock), and while it is open its inode
 * number cannot be given to another file. */
#define MAX_HELD 4
static struct {
	char path[LOCK_PATH_MAX];
	int fd;
} held[MAX_HELD];
/* Which slots are in use is kept apart from the paths, so looking costs
 * no page of the (mostly untouched) paths. */
static volatile sig_atomic_t in_use[MAX_HELD];

static bool remember(const char *path, int fd)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (!in_use[i]) {
			snprintf(held[i].path, sizeof held[i].path, "%s", path);
			held[i].fd = fd;
			/* The signal handler must find the slot whole. */
			atomic_signal_fence(memory_order_seq_cst);
			in_use[i] = 1;
			return true;
		}
	return false;
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
			if (!ok)
				log_msg(LOG_ERR, "cannot write lock %s: %s", path,
					strerror(errno));
			else if (!(ok = remember(path, fd)))
				log_msg(LOG_ERR, "too many locks held to take %s",
					path);
			if (!ok) {
				unlink(path);
				close(fd);
				return LOCK_ERROR;
			}
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

/* A mailbox write lock is held for well under a millisecond per delivery
 * on a local disk, so waiters there retry every millisecond: a longer
 * pause leaves the lock idle between holders when deliveries queue for one
 * mailbox.  On a network file system a hold lasts some round trips and
 * every retry is one more (a failed create, with the lookup before it),
 * so there, after LOCK_QUICK_TRIES, the pause doubles up to
 * LOCK_PAUSE_MAX_US, each drawn at random from its upper half (jitter:
 * waiters that met at one release do not all come back at once).  Whether
 * the lock in the way is stale (several system calls) is judged at the
 * first try (on a network file system, after LOCK_JUDGE_EVERY_MS) and then
 * every LOCK_JUDGE_EVERY_MS. */
#define LOCK_QUICK_TRIES 3
#define LOCK_PAUSE_US 1000L
#define LOCK_PAUSE_MAX_US 16000L
#define LOCK_JUDGE_EVERY_MS 50

/* Is the directory of the lock at path on a network or FUSE file system
 * (NFS, SMB, Ceph, AFS, GlusterFS and other FUSE clients)?  Asked once
 * per process, and only when a lock is found taken. */
static bool on_network_fs(const char *path)
{
	static const unsigned long network[] = {
		0x6969UL,               /* NFS */
		0x65735546UL,           /* FUSE */
		0xFF534D42UL,           /* CIFS */
		0xFE534D42UL,           /* SMB2 */
		0x00C36400UL,           /* Ceph */
		0x5346414FUL,           /* AFS */
	};
	static int remote = -1;
	if (remote < 0) {
		char dir[LOCK_PATH_MAX];
		const char *slash = strrchr(path, '/');
		snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
			 slash ? path : ".");
		struct statfs fs;
		remote = 0;
		if (statfs(dir, &fs) == 0)
			for (size_t i = 0; i < sizeof network / sizeof *network; i++)
				if ((unsigned long)fs.f_type == network[i])
					remote = 1;
	}
	return remote;
}

/* The pause before try number tries + 1, in microseconds. */
static long pause_us(int tries, bool remote)
{
	static unsigned long state;
	if (!remote || tries < LOCK_QUICK_TRIES)
		return LOCK_PAUSE_US;
	long most = LOCK_PAUSE_US;
	for (int i = LOCK_QUICK_TRIES; i <= tries && most < LOCK_PAUSE_MAX_US; i++)
		most *= 2;
	if (most > LOCK_PAUSE_MAX_US)
		most = LOCK_PAUSE_MAX_US;
	if (!state)
		state = (unsigned long)getpid() * 2654435761UL ^
			(unsigned long)stamp_clock_ms();
	/* xorshift: no need for more, and rand()'s state stays the caller's */
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return most / 2 + (long)(state % (unsigned long)(most / 2 + 1));
}

enum lock_result lock_take(const char *path, int wait_ms, int stale_seconds)
{
	/* A lock found taken is judged at once, except on a network file
	 * system when there is time to wait: judging costs some round trips
	 * there, and the lock in the way is nearly always alive. */
	enum lock_result r = try_once(path, stale_seconds, false);
	if (r == LOCK_BUSY &&
	    (wait_ms < LOCK_JUDGE_EVERY_MS || !on_network_fs(path)))
		r = try_once(path, stale_seconds, true);
	if (r != LOCK_BUSY || wait_ms <= 0)
		return r;               /* a lock taken at once needs no clock */
	long long start = stamp_clock_ms(), judged = start;
	for (int tries = 1;; tries++) {
		if (r != LOCK_BUSY)
			return r;
		long long now = stamp_clock_ms();
		if (now - start >= wait_ms)
			return r;
		long us = pause_us(tries, on_network_fs(path));
		struct timespec ts = { 0, us * 1000L };
		nanosleep(&ts, NULL);
		bool judge = now - judged >= LOCK_JUDGE_EVERY_MS;
		if (judge)
			judged = now;
		r = try_once(path, stale_seconds, judge);
	}
}

/* Remove the lock held open on fd from path, only if it is still the file
 * there: if it aged out and another process took it over, that process's
 * lock stays.  Uses only async-signal-safe calls. */
static void unlink_if_ours(const char *path, int fd)
{
	struct stat ours, there;
	if (fstat(fd, &ours) == 0 && lstat(path, &there) == 0 &&
	    ours.st_ino == there.st_ino && ours.st_dev == there.st_dev)
		unlink(path);
	close(fd);
}

void lock_release(const char *path)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (in_use[i] && strcmp(held[i].path, path) == 0) {
			/* Removed before the slot is freed: a signal in
			 * between finds it still held, and a second
			 * unlink_if_ours finds nothing to remove. */
			unlink_if_ours(path, held[i].fd);
			atomic_signal_fence(memory_order_seq_cst);
			in_use[i] = 0;
		}
}

void lock_release_all(void)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (in_use[i]) {
			unlink_if_ours(held[i].path, held[i].fd);
			in_use[i] = 0;
		}
}

void lock_touch(const char *path)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (in_use[i] && strcmp(held[i].path, path) == 0) {
			futimens(held[i].fd, NULL);     /* ours, not the name's */
			return;
		}
}
