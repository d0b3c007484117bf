/* mailbox_index: one pass over a mailbox file (store format, see store.h)
 * giving each complete message's offset, stored length, POP3 size and a
 * stable unique id, without ever holding a message in memory.
 *
 * Memory: 4 bytes per message (stored length and the POP3 size's excess
 * over it, 16 bits each; a message of 64 KiB or more goes to a side table),
 * plus one offset per 64 messages.  Offsets in between are running sums.
 *
 * POP3 size: the octets a client ends up with (RFC 1939 LIST/STAT): every
 * LF becomes CR LF and the dot-stuffing is undone, so a stored message of
 * L bytes, N lines, D of them starting with '.', has size L + N - D. */
#ifndef MAILBOX_INDEX_H
#define MAILBOX_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAILBOX_UIDL_LEN 16     /* hex digits, without the NUL */

struct index_entry {
	uint16_t stored_len;    /* INDEX_LARGE: look in the side table */
	uint16_t excess;        /* POP3 size - stored length */
};

struct index_large {
	size_t number;          /* which message (0-based) */
	uint64_t stored_len;
	uint64_t excess;
};

struct mailbox_index {
	size_t count;                   /* complete messages */
	uint64_t total_size;            /* sum of their POP3 sizes */
	off_t end;                      /* just past the last complete one */
	struct index_entry *entries;
	size_t entries_cap;
	struct index_large *large;      /* sorted by number */
	size_t large_count, large_cap;
	off_t *checkpoints;             /* offset of message 64 * k */
	size_t checkpoints_cap;
};

/* Index the first size bytes of the mailbox open on fd (fd < 0: no
 * mailbox, an empty index).  Bytes after the last "." line (a torn tail)
 * are not a message.  False on a read error or out of memory. */
bool mailbox_index_build(struct mailbox_index *idx, int fd, off_t size);
void mailbox_index_free(struct mailbox_index *idx);

/* Message i (0-based, i < count). */
off_t mailbox_index_offset(const struct mailbox_index *idx, size_t i);
uint64_t mailbox_index_stored_len(const struct mailbox_index *idx, size_t i);
uint64_t mailbox_index_pop3_size(const struct mailbox_index *idx, size_t i);

/* The message's unique id: 16 hex digits of a 64-bit FNV-1a hash over its
 * first and last (up to) 1 KiB, its stored length and its POP3 size.  It
 * depends on the message's own bytes only, so it is the same in every
 * session and whatever happens to other messages; every delivered message
 * differs in its Received: id, and hand-written ones still differ if their
 * length, line count, start or end differ.  False on a read error. */
bool mailbox_index_uidl(const struct mailbox_index *idx, int fd, size_t i,
			char out[MAILBOX_UIDL_LEN + 1]);

#endif
