/* store: see store.h. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"
#include "users.h"

#define COPY_CHUNK 65536

bool store_path(char buf[LOCK_PATH_MAX], const char *user, const char *file)
{
	if (!username_valid(user, strlen(user)))
		return false;
	int n = snprintf(buf, LOCK_PATH_MAX, "USERS/%s/%s", user, file);
	return n > 0 && n < LOCK_PATH_MAX;
}

/* Does the file end, at offset end, with a "." line that starts a line? */
static bool ends_with_separator(const char *tail, size_t tail_len, off_t end)
{
	if (end < 2 || tail_len < 2 || memcmp(tail + tail_len - 2, ".\n", 2))
		return false;
	return end == 2 || (tail_len >= 3 && tail[tail_len - 3] == '\n');
}

off_t store_complete_end(int fd, off_t size)
{
	static char chunk[COPY_CHUNK];
	off_t end = size;
	/* The common case, a mailbox ending with its "." line, in 3 bytes. */
	char last[3];
	size_t tail = size < 3 ? (size_t)size : 3;
	if (size >= 2 && pread(fd, last, tail, size - (off_t)tail) == (ssize_t)tail &&
	    ends_with_separator(last, tail, size))
		return size;
	/* Walk back chunk by chunk; each step keeps 2 bytes of overlap so a
	 * "\n.\n" across a chunk boundary is still seen. */
	while (end >= 2) {
		off_t from = end > (off_t)sizeof chunk ? end - (off_t)sizeof chunk : 0;
		size_t len = (size_t)(end - from);
		if (pread(fd, chunk, len, from) != (ssize_t)len)
			return -1;
		for (size_t i = len; i >= 2; i--) {
			off_t at = from + (off_t)i;
			if (chunk[i - 1] == '\n' && chunk[i - 2] == '.' &&
			    ends_with_separator(chunk, i, at))
				return at;
			if (i == 3 && from > 0)
				break;
		}
		if (from == 0)
			break;
		end = from + 2;
	}
	return 0;
}

bool store_copy_range(int in, off_t from, off_t to, int out)
{
	static char buf[COPY_CHUNK];
	while (from < to) {
		size_t want = to - from > COPY_CHUNK ? COPY_CHUNK :
			      (size_t)(to - from);
		ssize_t n = copy_file_range(in, &from, out, NULL,
					    (size_t)(to - from), 0);
		if (n > 0)
			continue;
		if (n == 0)
			return false;           /* the file is shorter */
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return false;
		n = pread(in, buf, want, from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !write_all(out, buf, (size_t)n))
			return false;
		from += n;
	}
	return true;
}

/* Is what follows the last complete message (if anything) the start of a
 * delivery of ours cut short?  Every append begins with "Return-Path: <";
 * anything else (a mailbox with CRLF line endings, one edited by hand) is
 * not ours to cut, and delivery stops rather than destroy it. */
static bool torn_tail_is_ours(int fd, off_t start, off_t size)
{
	static const char mark[] = "Return-Path: <";
	char head[sizeof mark - 1];
	if (start == size)
		return true;
	size_t want = size - start < (off_t)sizeof head ?
		      (size_t)(size - start) : sizeof head;
	return pread(fd, head, want, start) == (ssize_t)want &&
	       memcmp(head, mark, want) == 0;
}

bool store_fsync_directory(const char *user)
{
	char dir[LOCK_PATH_MAX];
	if (!store_path(dir, user, ""))
		return false;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

static enum store_result append_locked(const char *user, const char *path,
				       const struct store_message *msg)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_msg(LOG_ERR, "cannot open mailbox of %s: %s", user,
			strerror(errno));
		return STORE_FAILED;
	}
	struct stat st;
	bool stat_failed = fstat(fd, &st) < 0;
	if (stat_failed || !S_ISREG(st.st_mode)) {
		if (stat_failed)
			log_msg(LOG_ERR, "cannot stat the mailbox of %s: %s", user,
				strerror(errno));
		else
			log_msg(LOG_ERR, "mailbox of %s is not a regular file",
				user);
		close(fd);
		return STORE_FAILED;
	}
	off_t start = store_complete_end(fd, st.st_size);
	if (start < 0 || st.st_nlink != 1 || !torn_tail_is_ours(fd, start, st.st_size)) {
		log_msg(LOG_ERR, "mailbox of %s %s; not delivering until it is "
			"repaired by hand", user, start < 0 ? "cannot be read" :
			st.st_nlink != 1 ? "has other hard links" :
			"does not end with a complete message");
		close(fd);
		return STORE_FAILED;
	}
	if (start != st.st_size)
		log_msg(LOG_WARNING, "cutting %lld bytes of torn tail from the "
			"mailbox of %s", (long long)(st.st_size - start), user);
	bool ok = (start == st.st_size || ftruncate(fd, start) == 0) &&
		  lseek(fd, start, SEEK_SET) == start &&
		  write_all(fd, msg->head, msg->head_len) &&
		  write_all(fd, msg->prefix, msg->prefix_len) &&
		  store_copy_range(msg->spool_fd, 0, msg->spool_len, fd) &&
		  write_all(fd, ".\n", 2) && fsync(fd) == 0 &&
		  (st.st_size > 0 || store_fsync_directory(user));
	if (!ok) {
		log_msg(LOG_ERR, "cannot append to the mailbox of %s: %s", user,
			strerror(errno));
		/* Leave the mailbox as it was before this delivery. */
		if (ftruncate(fd, start) == 0)
			fsync(fd);
	}
	close(fd);
	return ok ? STORE_OK : STORE_FAILED;
}

bool store_has_directory(const char *user)
{
	char dir[LOCK_PATH_MAX];
	struct stat st;
	if (!store_path(dir, user, ""))
		return false;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	log_msg(LOG_ERR, "no mailbox directory %s for user %s", dir, user);
	return false;
}

enum store_result store_append(const char *user,
			       const struct store_message *msg,
			       const struct store_locking *locking)
{
	char path[LOCK_PATH_MAX], lock[LOCK_PATH_MAX];
	if (!store_path(path, user, STORE_MAILBOX) ||
	    !store_path(lock, user, STORE_WRITE_LOCK))
		return STORE_FAILED;
	if (!store_has_directory(user))
		return STORE_NO_MAILBOX;
	switch (lock_take(lock, locking->wait_ms, locking->stale_seconds)) {
	case LOCK_TAKEN:
		break;
	case LOCK_BUSY:
		log_msg(LOG_WARNING, "mailbox of %s stayed locked", user);
		return STORE_BUSY;
	case LOCK_ERROR:
		return STORE_FAILED;
	}
	enum store_result r = append_locked(user, path, msg);
	lock_release(lock);
	return r;
}
