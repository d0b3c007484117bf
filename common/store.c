/* store: see store.h. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
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

/* The kernel's struct statx (statx(2)), declared here under its own name:
 * musl 1.2.3 has the system call but neither the structure nor a wrapper.
 * The layout is the kernel's stable ABI. */
struct kernel_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	struct {
		int64_t sec;
		uint32_t nsec;
		int32_t pad;
	} atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

_Static_assert(sizeof(struct kernel_statx) == 256, "statx(2) layout");

#define KERNEL_STATX_BASIC 0x7ffU       /* STATX_BASIC_STATS */

bool store_stat(int dirfd, const char *path, int flags, struct stat *st)
{
	struct kernel_statx x;
	memset(&x, 0, sizeof x);
	if (syscall(SYS_statx, dirfd, path, flags | AT_STATX_FORCE_SYNC,
		    KERNEL_STATX_BASIC, &x) != 0) {
		/* A kernel (or a container's system call filter) without
		 * statx: the cached attributes are all there is. */
		if (errno != ENOSYS && errno != EPERM && errno != EINVAL)
			return false;
		return fstatat(dirfd, path, st, flags) == 0;
	}
	memset(st, 0, sizeof *st);
	st->st_dev = makedev(x.dev_major, x.dev_minor);
	st->st_ino = (ino_t)x.ino;
	st->st_mode = x.mode;
	st->st_nlink = x.nlink;
	st->st_uid = x.uid;
	st->st_gid = x.gid;
	st->st_size = (off_t)x.size;
	st->st_mtim.tv_sec = (time_t)x.mtime.sec;
	st->st_mtim.tv_nsec = (long)x.mtime.nsec;
	return true;
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

int store_open_current(const char *path, int flags, struct stat *st)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		/* The path first: where its cached entry names a file since
		 * removed, asking afresh fails with ESTALE and the kernel
		 * looks the name up again (and the next open finds the new
		 * file). */
		struct stat at_path;
		bool named = store_stat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW,
					&at_path);
		if (store_stat(fd, "", AT_EMPTY_PATH, st)) {
			if (named && at_path.st_ino == st->st_ino &&
			    at_path.st_dev == st->st_dev)
				return fd;
		} else if (errno != ESTALE) {
			int error = errno;
			close(fd);
			errno = error;
			return -1;
		}
		close(fd);              /* replaced meanwhile: open it again */
	}
	errno = ESTALE;
	return -1;
}

/* Write msg and its "." line at fd's offset.  A message whose spool fits
 * in one chunk goes out in one writev: on a network file system each
 * write is a round trip made while others wait for the lock. */
static bool write_message(int fd, const struct store_message *msg)
{
	static char body[COPY_CHUNK];
	if (msg->spool_len > (off_t)sizeof body)
		return write_all(fd, msg->head, msg->head_len) &&
		       write_all(fd, msg->prefix, msg->prefix_len) &&
		       store_copy_range(msg->spool_fd, 0, msg->spool_len, fd) &&
		       write_all(fd, ".\n", 2);
	size_t body_len = (size_t)msg->spool_len;
	if (body_len && pread(msg->spool_fd, body, body_len, 0) != (ssize_t)body_len)
		return false;
	struct iovec iov[] = {
		{ (void *)msg->head, msg->head_len },
		{ (void *)msg->prefix, msg->prefix_len },
		{ body, body_len },
		{ ".\n", 2 },
	};
	int n = sizeof iov / sizeof *iov;
	struct iovec *at = iov;
	while (n > 0) {
		ssize_t done = writev(fd, at, n);
		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0)
			return false;
		/* A short write: go on from where it stopped. */
		while (n > 0 && (size_t)done >= at->iov_len) {
			done -= (ssize_t)at->iov_len;
			at++;
			n--;
		}
		if (n > 0) {
			at->iov_base = (char *)at->iov_base + done;
			at->iov_len -= (size_t)done;
		}
	}
	return true;
}

/* Open the mailbox at path for appending, creating it where there is none
 * (*created tells whether any attempt here created it), with its
 * attributes fetched afresh in *st.  Asking with O_EXCL first also makes
 * the kernel look the name up afresh, as it never trusts a cached entry
 * for an exclusive create: on a file system shared between hosts, another
 * host's POP3 update may have renamed a new file over the one this host's
 * caches still name.  A file replaced all the same (its handle stale) is
 * opened again. */
static int open_mailbox(const char *user, const char *path, bool *created,
			struct stat *st)
{
	*created = false;
	for (int attempt = 0; attempt < 3; attempt++) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			      O_CLOEXEC, 0600);
		*created = *created || fd >= 0;
		if (fd < 0 && errno == EEXIST)
			fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;               /* gone since the O_EXCL try */
		if (fd < 0)
			break;
		if (store_stat(fd, "", AT_EMPTY_PATH, st)) {
			if (S_ISREG(st->st_mode))
				return fd;
			log_msg(LOG_ERR, "mailbox of %s is not a regular file",
				user);
			close(fd);
			return -1;
		}
		int error = errno;
		close(fd);
		errno = error;
		if (errno != ESTALE)
			break;
	}
	log_msg(LOG_ERR, "cannot open the mailbox of %s: %s", user,
		strerror(errno));
	return -1;
}

/* Append under the lock; the mailbox is left open in *fd_out (or -1), to
 * be closed once the lock is released: the data is fsynced by then, and on
 * a network file system a close is one more round trip. */
static enum store_result append_locked(const char *user, const char *path,
				       const struct store_message *msg,
				       int *fd_out)
{
	struct stat st;
	bool created;
	int fd = open_mailbox(user, path, &created, &st);
	*fd_out = fd;
	if (fd < 0)
		return STORE_FAILED;
	off_t start = store_complete_end(fd, st.st_size);
	if (start < 0 || st.st_nlink != 1 || !torn_tail_is_ours(fd, start, st.st_size)) {
		log_msg(LOG_ERR, "mailbox of %s %s; not delivering until it is "
			"repaired by hand", user, start < 0 ? "cannot be read" :
			st.st_nlink != 1 ? "has other hard links" :
			"does not end with a complete message");
		return STORE_FAILED;
	}
	if (start != st.st_size)
		log_msg(LOG_WARNING, "cutting %lld bytes of torn tail from the "
			"mailbox of %s", (long long)(st.st_size - start), user);
	/* The mailbox's name is made durable with the first message it
	 * holds: when it was created now, or when it holds no complete
	 * message yet (a delivery that created it may have failed before
	 * its directory fsync).  Later appends leave the directory alone. */
	bool ok = (start == st.st_size || ftruncate(fd, start) == 0) &&
		  lseek(fd, start, SEEK_SET) == start &&
		  write_message(fd, msg) && fsync(fd) == 0 &&
		  ((!created && start > 0) || store_fsync_directory(user));
	if (!ok) {
		log_msg(LOG_ERR, "cannot append to the mailbox of %s: %s", user,
			strerror(errno));
		/* Leave the mailbox as it was before this delivery. */
		if (ftruncate(fd, start) == 0)
			fsync(fd);
	}
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
	int fd;
	enum store_result r = append_locked(user, path, msg, &fd);
	lock_release(lock);
	if (fd >= 0)
		close(fd);
	return r;
}
