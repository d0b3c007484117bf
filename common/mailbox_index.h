/* mailbox_index: one pass over a mailbox file (store format, see store.h)
 * giving each complete message's offset, stored length, POP3 size and a
 * stable unique id, without ever holding a message in memory.
 *
 * Memory: messages go in blocks of INDEX_BLOCK.  A block keeps its file
 * offset and where its records start (16 bytes); its records are packed
 * bit by bit, frame of reference: each message's stored length and the
 * POP3 size's excess over it, less the block's smallest, in as many bits
 * as the block's largest difference needs.  A block of messages of like
 * sizes thus takes a few bits a message, one of any sizes no more than
 * their widths (a 1 MiB message's length takes 20 bits, not a side
 * entry).  Offsets in a block are running sums.  Both arrays grow by
 * mremap, never by copying, and the parts not yet written are not
 * resident.
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
#define INDEX_BLOCK 64          /* messages a block */

struct index_block {
	off_t offset;           /* of the block's first message */
	uint64_t bit;           /* where its records start in bits */
};

struct mailbox_index {
	size_t count;                   /* complete messages */
	uint64_t total_size;            /* sum of their POP3 sizes */
	off_t end;                      /* just past the last complete one */
	struct index_block *blocks;     /* one per INDEX_BLOCK messages */
	size_t blocks_bytes;            /* mapped */
	uint64_t *bits;                 /* the packed records */
	size_t bits_bytes;              /* mapped */
	uint64_t bits_used;
	/* While building: the block being filled. */
	size_t pending;
	off_t pending_offset;
	uint64_t pending_len[INDEX_BLOCK], pending_excess[INDEX_BLOCK];
};

/* Index the first size bytes of the mailbox open on fd (fd < 0: no
 * mailbox, an empty index), reading it in pieces of buf_len bytes into
 * buf.  Bytes after the last "." line (a torn tail) are not a message.
 * False on a read error or out of memory. */
bool mailbox_index_build(struct mailbox_index *idx, int fd, off_t size,
			 char *buf, size_t buf_len);
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
