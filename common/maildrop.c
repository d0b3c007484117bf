/* maildrop: see maildrop.h. */
#include "maildrop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* ---- open and close ---- */

static size_t bitmap_bytes(const struct maildrop *m)
{
	return m->index.count / 8 + 1;
}

/* Index the mailbox.  No file yet, or an empty one, means no mail, and
 * then no lock is needed: a delivery making it grow now brings mail that
 * arrived after the snapshot.  The size is asked for afresh (store_stat),
 * so a mail root shared between hosts does not answer from a cache.
 * Otherwise the write lock is held while opening and indexing, so no
 * delivery is half-seen, and the file opened is checked to be the one at
 * the path, again with fresh attributes: another host's update may have
 * renamed a new file over the one this host's caches still name. */
static bool open_and_index(struct maildrop *m)
{
	char path[LOCK_PATH_MAX], write_lock[LOCK_PATH_MAX];
	struct stat st;
	if (!store_path(path, m->user, STORE_MAILBOX))
		return false;
	if (!store_stat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &st)) {
		if (errno == ENOENT)
			return true;            /* no mail yet */
		log_msg(LOG_ERR, "cannot stat the mailbox of %s: %s", m->user,
			strerror(errno));
		return false;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return true;                    /* no mail now */
	if (!store_path(write_lock, m->user, STORE_WRITE_LOCK))
		return false;
	switch (lock_take(write_lock, m->locking.wait_ms,
			  m->locking.stale_seconds)) {
	case LOCK_TAKEN:
		break;
	case LOCK_BUSY:
		log_msg(LOG_ERR, "mailbox of %s stayed locked", m->user);
		return false;
	case LOCK_ERROR:
		return false;                   /* lock.c said why */
	}
	bool ok = false;
	m->fd = store_open_current(path, O_RDONLY, &st);
	if (m->fd < 0) {
		ok = errno == ENOENT;           /* no mail yet */
		if (!ok)
			log_msg(LOG_ERR, "cannot open the mailbox of %s: %s",
				m->user, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		log_msg(LOG_ERR, "mailbox of %s is not a regular file", m->user);
	} else if (!(ok = mailbox_index_build(&m->index, m->fd, st.st_size,
					      m->window, sizeof m->window))) {
		log_msg(LOG_ERR, "cannot index the mailbox of %s: %s", m->user,
			strerror(errno));
	}
	lock_release(write_lock);
	return ok;
}

enum maildrop_result maildrop_open(struct maildrop *m, const char *user,
				   const struct store_locking *locking)
{
	/* Field by field: the read window stays untouched, and so not
	 * resident, until a RETR needs it. */
	memset(&m->index, 0, sizeof m->index);
	m->deleted = NULL;
	m->deleted_count = 0;
	m->deleted_size = 0;
	m->window_len = 0;
	m->fd = -1;
	m->locking = *locking;
	snprintf(m->user, sizeof m->user, "%s", user);
	enum lock_result locked = LOCK_ERROR;
	if (store_path(m->lock_path, user, STORE_MAILDROP_LOCK))
		locked = lock_take(m->lock_path, 0, locking->stale_seconds);
	if (locked != LOCK_TAKEN) {
		m->lock_path[0] = '\0';
		if (locked == LOCK_BUSY)
			log_msg(LOG_NOTICE, "%s: maildrop already locked", user);
		return locked == LOCK_BUSY ? MAILDROP_IN_USE : MAILDROP_FAILED;
	}
	m->lock_touched = time(NULL);
	if (open_and_index(m)) {
		size_t bytes = bitmap_bytes(m);
		m->deleted = bytes <= sizeof m->deleted_inline ?
			     memset(m->deleted_inline, 0, bytes) :
			     calloc(bytes, 1);
		if (m->deleted)
			return MAILDROP_OK;
		log_msg(LOG_ERR, "%s: no memory for the maildrop", user);
	}
	maildrop_close(m);
	return MAILDROP_FAILED;
}

void maildrop_close(struct maildrop *m)
{
	if (m->lock_path[0])
		lock_release(m->lock_path);
	m->lock_path[0] = '\0';
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	mailbox_index_free(&m->index);
	if (m->deleted != m->deleted_inline)
		free(m->deleted);
	m->deleted = NULL;
}

void maildrop_keep_lock_fresh(struct maildrop *m)
{
	if (!m->lock_path[0])
		return;
	time_t now = time(NULL);
	if (now - m->lock_touched >= POP3_LOCK_TOUCH_SECONDS) {
		lock_touch(m->lock_path);
		m->lock_touched = now;
	}
}

/* ---- the session's view ---- */

size_t maildrop_total(const struct maildrop *m)
{
	return m->index.count;
}

size_t maildrop_count(const struct maildrop *m)
{
	return m->index.count - m->deleted_count;
}

uint64_t maildrop_size(const struct maildrop *m)
{
	return m->index.total_size - m->deleted_size;
}

bool maildrop_is_deleted(const struct maildrop *m, size_t i)
{
	return m->deleted[i / 8] & (1u << (i % 8));
}

uint64_t maildrop_message_size(const struct maildrop *m, size_t i)
{
	return mailbox_index_pop3_size(&m->index, i);
}

void maildrop_message_range(const struct maildrop *m, size_t i, off_t *start,
			    off_t *end)
{
	*start = mailbox_index_offset(&m->index, i);
	*end = *start + (off_t)mailbox_index_stored_len(&m->index, i);
}

size_t maildrop_read(struct maildrop *m, off_t at, off_t end,
		     const char **data)
{
	if (m->window_len == 0 || at < m->window_at ||
	    at >= m->window_at + (off_t)m->window_len) {
		ssize_t got;
		do
			got = pread(m->fd, m->window, sizeof m->window, at);
		while (got < 0 && errno == EINTR);
		m->window_at = at;
		m->window_len = got > 0 ? (size_t)got : 0;
		if (got <= 0) {
			log_msg(LOG_ERR, "cannot read the mailbox of %s: %s",
				m->user, got < 0 ? strerror(errno) :
				"it is shorter than its index");
			return 0;
		}
	}
	size_t skip = (size_t)(at - m->window_at), len = m->window_len - skip;
	if ((off_t)len > end - at)
		len = (size_t)(end - at);
	*data = m->window + skip;
	return len;
}

bool maildrop_uidl(const struct maildrop *m, size_t i,
		   char id[MAILBOX_UIDL_LEN + 1])
{
	if (mailbox_index_uidl(&m->index, m->fd, i, id))
		return true;
	log_msg(LOG_ERR, "cannot read the mailbox of %s: %s", m->user,
		strerror(errno));
	return false;
}

void maildrop_delete(struct maildrop *m, size_t i)
{
	m->deleted[i / 8] |= (unsigned char)(1u << (i % 8));
	m->deleted_count++;
	m->deleted_size += mailbox_index_pop3_size(&m->index, i);
}

void maildrop_undelete_all(struct maildrop *m)
{
	memset(m->deleted, 0, bitmap_bytes(m));
	m->deleted_count = 0;
	m->deleted_size = 0;
}

/* ---- the update at QUIT ---- */

/* The new file being written, for maildrop_update_abandon(). */
static char new_path[LOCK_PATH_MAX];
static volatile sig_atomic_t writing_new;

void maildrop_update_abandon(void)
{
	if (writing_new)
		unlink(new_path);
}

#ifdef MAILDROP_TEST_HOOKS
/* Only in the test build: milliseconds to pause with the new file half
 * written, so a test can kill the process mid-rewrite. */
static void pause_halfway(void)
{
	const char *ms = getenv("POP3_TEST_UPDATE_DELAY_MS");
	long n = ms ? strtol(ms, NULL, 10) : 0;
	if (n > 0) {
		struct timespec ts = { n / 1000, (n % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}
#else
static void pause_halfway(void)
{
}
#endif

/* Write the kept snapshot messages, then [index end, current_end), to
 * out. */
static bool write_new(const struct maildrop *m, off_t current_end, int out)
{
	const struct mailbox_index *idx = &m->index;
	off_t run_start = 0, at = 0;
	for (size_t i = 0; i < idx->count; i++) {
		off_t next = at + (off_t)mailbox_index_stored_len(idx, i) + 2;
		if (maildrop_is_deleted(m, i)) {
			if (!store_copy_range(m->fd, run_start, at, out))
				return false;
			run_start = next;
		}
		at = next;
		if (i == idx->count / 2)
			pause_halfway();
	}
	/* The last kept run and the mail appended since run on together. */
	return store_copy_range(m->fd, run_start, current_end, out);
}

static bool rewrite_locked(const struct maildrop *m)
{
	char path[LOCK_PATH_MAX];
	struct stat now, snap;
	if (!store_path(path, m->user, STORE_MAILBOX) ||
	    !store_path(new_path, m->user, STORE_MAILBOX MAILDROP_NEW_SUFFIX))
		return false;
	/* The file on disk must still be the one the snapshot came from. */
	if (!store_stat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &now) ||
	    !store_stat(m->fd, "", AT_EMPTY_PATH, &snap) ||
	    now.st_ino != snap.st_ino || now.st_dev != snap.st_dev ||
	    now.st_size < m->index.end) {
		log_msg(LOG_ERR, "mailbox of %s changed under the session; "
			"not updating", m->user);
		return false;
	}
	off_t current_end = store_complete_end(m->fd, now.st_size);
	if (current_end < 0) {
		log_msg(LOG_ERR, "cannot read the mailbox of %s: %s; not "
			"updating", m->user, strerror(errno));
		return false;
	}
	if (current_end < m->index.end)
		current_end = m->index.end;

	unlink(new_path);               /* a leftover of a crashed update */
	writing_new = 1;
	int out = openat(AT_FDCWD, new_path, O_WRONLY | O_CREAT | O_EXCL |
			 O_NOFOLLOW | O_CLOEXEC, 0600);
	bool ok = out >= 0 && write_new(m, current_end, out) && fsync(out) == 0;
	if (out >= 0 && close(out) != 0)
		ok = false;
	ok = ok && rename(new_path, path) == 0;
	if (!ok) {
		log_msg(LOG_ERR, "cannot rewrite the mailbox of %s: %s", m->user,
			strerror(errno));
		unlink(new_path);
		writing_new = 0;
		return false;
	}
	writing_new = 0;
	if (!store_fsync_directory(m->user))
		log_msg(LOG_WARNING, "cannot fsync the mailbox directory of %s: "
			"%s", m->user, strerror(errno));
	return true;
}

bool maildrop_update(struct maildrop *m)
{
	if (m->deleted_count == 0)
		return true;
	char lock[LOCK_PATH_MAX];
	if (m->fd < 0 || !store_path(lock, m->user, STORE_WRITE_LOCK))
		return false;
	switch (lock_take(lock, m->locking.wait_ms, m->locking.stale_seconds)) {
	case LOCK_TAKEN:
		break;
	case LOCK_BUSY:
		log_msg(LOG_ERR, "mailbox of %s stayed locked; not updating",
			m->user);
		return false;
	case LOCK_ERROR:
		return false;                   /* lock.c said why */
	}
	bool ok = rewrite_locked(m);
	lock_release(lock);
	if (ok)
		log_msg(LOG_INFO, "%s: removed %zu of %zu messages", m->user,
			m->deleted_count, m->index.count);
	return ok;
}
