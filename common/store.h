/* store: the mailbox files USERS/<name>/my_mailbox.txt.
 *
 * On disk: LF line endings; each message is its text, dot-stuffed exactly
 * as in SMTP DATA, followed by a line holding only ".".  Paths are relative
 * to the mail root, which is the working directory. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lock.h"

#define STORE_MAILBOX "my_mailbox.txt"
#define STORE_WRITE_LOCK "my_mailbox.txt.lock"
#define STORE_MAILDROP_LOCK "pop3.lock"

struct store_locking {
	int wait_ms;            /* how long to wait for a busy write lock */
	int stale_seconds;      /* age at which any lock is broken */
};

/* "USERS/<user>/<file>" into buf; false if it does not fit or the name
 * is not a valid user name. */
bool store_path(char buf[LOCK_PATH_MAX], const char *user, const char *file);

/* Does USERS/<user>/ exist?  The administrator makes it; the store
 * never does.  Logs when it is missing. */
bool store_has_directory(const char *user);

/* Offset just past the last complete message (its "." line) in the open
 * mailbox fd of the given size, -1 on a read error; bytes after it are a
 * torn tail. */
off_t store_complete_end(int fd, off_t size);

enum store_result {
	STORE_OK,
	STORE_BUSY,             /* the mailbox stayed locked too long */
	STORE_NO_MAILBOX,       /* USERS/<user>/ is missing */
	STORE_FAILED,           /* I/O error, disk full: nothing was changed */
};

/* One message in stored form (each line LF-terminated, dot-stuffed):
 * head (this mailbox's own lines, starting with Return-Path:), then
 * prefix, then spool_len bytes of spool_fd from offset 0. */
struct store_message {
	const char *head;
	size_t head_len;
	const char *prefix;
	size_t prefix_len;
	int spool_fd;
	off_t spool_len;
};

/* Append msg and the "." line after it to the mailbox of user; fsync
 * before returning STORE_OK.  On failure the mailbox is cut back to what
 * it was. */
enum store_result store_append(const char *user,
			       const struct store_message *msg,
			       const struct store_locking *locking);

/* Copy [from, to) of in to out at out's file offset: in the kernel where
 * it can (copy_file_range), else through a bounded buffer. */
bool store_copy_range(int in, off_t from, off_t to, int out);

/* fstatat(dirfd, path, st, flags), but with the attributes fetched afresh
 * from the file system (statx with AT_STATX_FORCE_SYNC): NFS and FUSE
 * clients (GlusterFS) otherwise answer from their attribute caches, which
 * may hold another host's mailbox size from before its last append.
 * Falls back to fstatat where the kernel has no statx.  Only the fields
 * the store uses are filled in: dev, ino, mode, nlink, uid, gid, size,
 * mtime. */
bool store_stat(int dirfd, const char *path, int flags, struct stat *st);

/* open(path, flags | O_NOFOLLOW | O_CLOEXEC), checked with attributes
 * fetched afresh (into *st) to be the file the path names now; a file
 * replaced meanwhile (a stale handle on a shared file system) is opened
 * again.  -1 with errno set on failure (ENOENT: no such file). */
int store_open_current(const char *path, int flags, struct stat *st);

/* fsync USERS/<user>/, so a file created or renamed there survives a
 * crash along with its contents. */
bool store_fsync_directory(const char *user);

#endif
