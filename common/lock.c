/* lock: see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* A session holds at most a maildrop lock and a write lock at once. */
#define MAX_HELD 4
static char held[MAX_HELD][LOCK_PATH_MAX];

static void remember(const char *path)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (!held[i][0]) {
			snprintf(held[i], sizeof held[i], "%s", path);
			return;
		}
}

static void forget(const char *path)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (strcmp(held[i], path) == 0)
			held[i][0] = '\0';
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

/* Is the existing lock at path stale?  Unreadable or half-written locks
 * count as live until they reach the stale age (empty ones: the grace
 * above).  On true, *inode is the
 * stale file's, so the caller removes that file and not a fresh lock that
 * another process made in the meantime. */
static bool is_stale(const char *path, int stale_seconds, ino_t *inode)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	char text[300] = "";
	bool stale = false;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return false;
	}
	*inode = st.st_ino;
	if (stale_seconds > 0 && time(NULL) - st.st_mtime > stale_seconds)
		stale = true;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n == 0 && time(NULL) - st.st_mtime >= LOCK_EMPTY_GRACE)
		stale = true;
	if (stale || n <= 0)
		return stale;
	text[n] = '\0';
	char host[256];
	long pid;
	return sscanf(text, "%ld %255s", &pid, host) == 2 && pid > 0 &&
	       strcmp(host, hostname()) == 0 &&
	       kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static enum lock_result try_once(const char *path, int stale_seconds)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
			      O_CLOEXEC, 0600);
		if (fd >= 0) {
			char text[300];
			int n = snprintf(text, sizeof text, "%ld %s\n",
					 (long)getpid(), hostname());
			bool ok = write(fd, text, (size_t)n) == n;
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
		ino_t inode;
		struct stat now;
		if (!is_stale(path, stale_seconds, &inode))
			return LOCK_BUSY;
		if (lstat(path, &now) == 0 && now.st_ino == inode) {
			log_msg(LOG_NOTICE, "removing stale lock %s", path);
			unlink(path);
		}
	}
	return LOCK_BUSY;
}

enum lock_result lock_take(const char *path, int wait_ms, int stale_seconds)
{
	int waited = 0, pause_ms = 1;
	for (;;) {
		enum lock_result r = try_once(path, stale_seconds);
		if (r != LOCK_BUSY || waited >= wait_ms)
			return r;
		struct timespec ts = { 0, (long)pause_ms * 1000000L };
		nanosleep(&ts, NULL);
		waited += pause_ms;
		if (pause_ms < 64)
			pause_ms *= 2;
	}
}

void lock_release(const char *path)
{
	forget(path);
	unlink(path);
}

void lock_release_all(void)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (held[i][0]) {
			unlink(held[i]);
			held[i][0] = '\0';
		}
}

void lock_touch(const char *path)
{
	utimensat(AT_FDCWD, path, NULL, 0);
}
