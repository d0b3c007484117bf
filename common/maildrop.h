/* maildrop: a POP3 session's view of one user's mailbox (RFC 1939).
 *
 * Opening takes the maildrop lock (pop3.lock, held to the end), then
 * indexes the mailbox under the short write lock, so no delivery is
 * half-seen: that snapshot is what the session works on, and mail
 * delivered meanwhile is kept for the next one.  Messages are numbered
 * from 0 here.  Sizes are POP3 sizes (see mailbox_index.h).
 *
 * The update at QUIT (RFC 1939 section 6) is crash-safe: under the write
 * lock, the kept messages of the snapshot plus every complete message
 * appended since are copied into my_mailbox.txt.new, which is fsynced and
 * renamed over the mailbox; then the directory is fsynced.  A crash at any
 * moment leaves either the old mailbox or the new one. */
#ifndef MAILDROP_H
#define MAILDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lock.h"
#include "mail_limits.h"
#include "mailbox_index.h"
#include "store.h"

#define MAILDROP_NEW_SUFFIX ".new"
/* RETR and TOP read the mailbox in pieces of this size. */
#define MAILDROP_READ_WINDOW 32768
#define MAILDROP_INLINE_BITS 512

struct maildrop {
	char user[USER_NAME_MAX + 1];
	struct store_locking locking;
	time_t lock_touched;            /* when it was made or last touched */
	int fd;                         /* the mailbox, -1 if there is none */
	unsigned char *deleted;         /* bitmap, one bit per message */
	size_t deleted_count;
	uint64_t deleted_size;
	off_t window_at;                /* what window holds (below) */
	size_t window_len;
	/* The bitmap of a maildrop of up to MAILDROP_INLINE_BITS messages:
	 * no malloc (and no heap set up at all) for a small one. */
	unsigned char deleted_inline[MAILDROP_INLINE_BITS / 8];
	struct mailbox_index index;
	/* The large parts last: the small ones above share a page or two,
	 * and these are touched (resident) only as far as they are used. */
	char lock_path[LOCK_PATH_MAX];  /* pop3.lock, "" while not held */
	/* The last piece read for RETR/TOP: reading consecutive small
	 * messages costs one pread per window, not one per message.  The
	 * snapshot's bytes never change while the maildrop lock is held.
	 * Indexing reads the mailbox through it too. */
	char window[MAILDROP_READ_WINDOW];
};

enum maildrop_result { MAILDROP_OK, MAILDROP_IN_USE, MAILDROP_FAILED };

/* Lock and index the maildrop of user.  On anything but MAILDROP_OK the
 * maildrop is left closed (and the reason logged). */
enum maildrop_result maildrop_open(struct maildrop *m, const char *user,
				   const struct store_locking *locking);
/* Release the lock, the file and the memory of an open maildrop. */
void maildrop_close(struct maildrop *m);

/* Messages and octets not marked deleted. */
size_t maildrop_count(const struct maildrop *m);
uint64_t maildrop_size(const struct maildrop *m);

/* Every message, marked or not: the range a message number may take. */
size_t maildrop_total(const struct maildrop *m);
bool maildrop_is_deleted(const struct maildrop *m, size_t i);
uint64_t maildrop_message_size(const struct maildrop *m, size_t i);
/* Where message i lies in the mailbox, in stored form: [*start, *end). */
void maildrop_message_range(const struct maildrop *m, size_t i, off_t *start,
			    off_t *end);
/* Point *data at up to MAILDROP_READ_WINDOW bytes from at (never past
 * end); the number of bytes, 0 on a read error (logged). */
size_t maildrop_read(struct maildrop *m, off_t at, off_t end,
		     const char **data);
/* The message's unique id; false on a read error (logged). */
bool maildrop_uidl(const struct maildrop *m, size_t i,
		   char id[MAILBOX_UIDL_LEN + 1]);

void maildrop_delete(struct maildrop *m, size_t i);
void maildrop_undelete_all(struct maildrop *m);

/* Keep pop3.lock younger than the stale age during a long session. */
void maildrop_keep_lock_fresh(struct maildrop *m);

/* Remove the marked messages from the mailbox.  Nothing marked: nothing
 * is touched.  False (and the mailbox unchanged) on any failure. */
bool maildrop_update(struct maildrop *m);

/* Async-signal-safe: remove a half-written new file, if any. */
void maildrop_update_abandon(void);

#endif
