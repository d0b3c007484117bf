/* maildrop_update: the POP3 UPDATE state (RFC 1939 section 6), crash-safe.
 *
 * Under the mailbox write lock, the kept messages of the session's snapshot
 * plus every complete message appended since the snapshot are copied into
 * USERS/<user>/my_mailbox.txt.new, which is fsynced and renamed over the
 * mailbox; then the directory is fsynced.  A crash at any moment leaves
 * either the old mailbox or the new one (a leftover .new file is replaced
 * by the next update). */
#ifndef MAILDROP_UPDATE_H
#define MAILDROP_UPDATE_H

#include <stdbool.h>

#include "mailbox_index.h"
#include "store.h"

#define MAILDROP_NEW_SUFFIX ".new"
/* Test hook, never for production: milliseconds to pause with the new
 * file half written, so a test can kill the process mid-rewrite. */
#define MAILDROP_TEST_DELAY_ENV "POP3_TEST_UPDATE_DELAY_MS"

/* Is message i marked in the deletion bitmap? */
static inline bool maildrop_is_deleted(const unsigned char *deleted, size_t i)
{
	return deleted[i / 8] & (1u << (i % 8));
}

/* Remove the messages marked in deleted from the mailbox of user, whose
 * snapshot idx was taken from mailbox_fd.  Nothing marked: nothing is
 * touched.  False (and the mailbox unchanged) on any failure. */
bool maildrop_update(const char *user, int mailbox_fd,
		     const struct mailbox_index *idx,
		     const unsigned char *deleted,
		     const struct store_locking *locking);

/* Async-signal-safe: remove a half-written new file, if any. */
void maildrop_update_abandon(void);

#endif
