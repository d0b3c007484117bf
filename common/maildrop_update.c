/* maildrop_update: see maildrop_update.h. */
#include "maildrop_update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"


/* The new file being written, for maildrop_update_abandon(). */
static char new_path[LOCK_PATH_MAX];
static volatile int writing_new;

void maildrop_update_abandon(void)
{
	if (writing_new)
		unlink(new_path);
}

static void test_delay(void)
{
	const char *ms = getenv(MAILDROP_TEST_DELAY_ENV);
	long n = ms ? strtol(ms, NULL, 10) : 0;
	if (n > 0) {
		struct timespec ts = { n / 1000, (n % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Write kept snapshot messages, then [idx->end, current_end), to out. */
static bool write_new(int in, const struct mailbox_index *idx,
		      const unsigned char *deleted, off_t current_end, int out)
{
	off_t run_start = 0, at = 0;
	bool halfway_paused = false;
	for (size_t i = 0; i < idx->count; i++) {
		off_t next = at + (off_t)mailbox_index_stored_len(idx, i) + 2;
		if (maildrop_is_deleted(deleted, i)) {
			if (!store_copy_range(in, run_start, at, out))
				return false;
			run_start = next;
		}
		at = next;
		if (!halfway_paused && i >= idx->count / 2) {
			test_delay();
			halfway_paused = true;
		}
	}
	/* The last kept run and the mail appended since run on together. */
	return store_copy_range(in, run_start, current_end, out);
}


static bool rewrite_locked(const char *user, int mailbox_fd,
			   const struct mailbox_index *idx,
			   const unsigned char *deleted)
{
	char path[LOCK_PATH_MAX];
	struct stat now, snap;
	if (!store_path(path, user, STORE_MAILBOX) ||
	    !store_path(new_path, user, STORE_MAILBOX MAILDROP_NEW_SUFFIX))
		return false;
	/* The file on disk must still be the one the snapshot came from. */
	if (stat(path, &now) < 0 || fstat(mailbox_fd, &snap) < 0 ||
	    now.st_ino != snap.st_ino || now.st_dev != snap.st_dev ||
	    now.st_size < idx->end) {
		log_msg(LOG_ERR, "mailbox of %s changed under the session; "
			"not updating", user);
		return false;
	}
	off_t current_end = store_complete_end(mailbox_fd, now.st_size);
	if (current_end < 0) {
		log_msg(LOG_ERR, "cannot read the mailbox of %s; not updating",
			user);
		return false;
	}
	if (current_end < idx->end)
		current_end = idx->end;

	unlink(new_path);               /* a leftover of a crashed update */
	writing_new = 1;
	int out = open(new_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		       O_CLOEXEC, 0600);
	bool ok = out >= 0 && write_new(mailbox_fd, idx, deleted, current_end, out) &&
		  fsync(out) == 0;
	if (out >= 0 && close(out) != 0)
		ok = false;
	ok = ok && rename(new_path, path) == 0;
	if (!ok) {
		log_msg(LOG_ERR, "cannot rewrite the mailbox of %s: %s", user,
			strerror(errno));
		unlink(new_path);
		writing_new = 0;
		return false;
	}
	writing_new = 0;
	if (!store_fsync_directory(user))
		log_msg(LOG_WARNING, "cannot fsync the mailbox directory of %s",
			user);
	return true;
}

bool maildrop_update(const char *user, int mailbox_fd,
		     const struct mailbox_index *idx,
		     const unsigned char *deleted,
		     const struct store_locking *locking)
{
	size_t marked = 0;
	for (size_t i = 0; i < idx->count; i++)
		marked += maildrop_is_deleted(deleted, i);
	if (marked == 0)
		return true;
	char lock[LOCK_PATH_MAX];
	if (mailbox_fd < 0 || !store_path(lock, user, STORE_WRITE_LOCK))
		return false;
	if (lock_take(lock, locking->wait_ms, locking->stale_seconds) !=
	    LOCK_TAKEN) {
		log_msg(LOG_ERR, "mailbox of %s stayed locked; not updating",
			user);
		return false;
	}
	bool ok = rewrite_locked(user, mailbox_fd, idx, deleted);
	lock_release(lock);
	if (ok)
		log_msg(LOG_INFO, "%s: removed %zu of %zu messages", user,
			marked, idx->count);
	return ok;
}
