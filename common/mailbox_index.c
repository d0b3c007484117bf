/* mailbox_index: see mailbox_index.h. */
#include "mailbox_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"

#define SCAN_CHUNK 65536
#define CHECKPOINT_EVERY 64
#define INDEX_LARGE 0xFFFF
#define UIDL_SPAN 1024

static bool add_message(struct mailbox_index *idx, off_t start,
			uint64_t stored_len, uint64_t excess)
{
	size_t n = idx->count;
	if (n % CHECKPOINT_EVERY == 0) {
		if (!array_grow(&idx->checkpoints, &idx->checkpoints_cap,
				n / CHECKPOINT_EVERY + 1,
				sizeof *idx->checkpoints, 1024))
			return false;
		idx->checkpoints[n / CHECKPOINT_EVERY] = start;
	}
	if (!array_grow(&idx->entries, &idx->entries_cap, n + 1,
			sizeof *idx->entries, 1024))
		return false;
	/* excess <= stored_len (one per line at most), so one test will do. */
	if (stored_len < INDEX_LARGE) {
		idx->entries[n] = (struct index_entry){ (uint16_t)stored_len,
							(uint16_t)excess };
	} else {
		if (!array_grow(&idx->large, &idx->large_cap,
				idx->large_count + 1, sizeof *idx->large, 1024))
			return false;
		idx->large[idx->large_count++] =
			(struct index_large){ n, stored_len, excess };
		idx->entries[n] = (struct index_entry){ INDEX_LARGE, 0 };
	}
	idx->count = n + 1;
	idx->total_size += stored_len + excess;
	idx->end = start + (off_t)stored_len + 2;
	return true;
}

/* Where the scanner is within the current line. */
enum scan_state {
	AT_LINE_START,          /* nothing of this line seen yet */
	AFTER_LEADING_DOT,      /* the line so far is "." */
	IN_LINE,                /* anything else: look for its LF */
};

bool mailbox_index_build(struct mailbox_index *idx, int fd, off_t size)
{
	static char chunk[SCAN_CHUNK];
	memset(idx, 0, sizeof *idx);
	enum scan_state state = AT_LINE_START;
	off_t message_start = 0, chunk_at = 0;
	uint64_t lines = 0, stuffed = 0;

	while (fd >= 0 && chunk_at < size) {
		size_t want = size - chunk_at < SCAN_CHUNK ?
			      (size_t)(size - chunk_at) : SCAN_CHUNK;
		ssize_t got = pread(fd, chunk, want, chunk_at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0;        /* the file shrank: stop there */
		const char *p = chunk, *end = chunk + got;
		while (p < end) {
			if (state == AT_LINE_START) {
				if (*p == '.') {
					state = AFTER_LEADING_DOT;
					p++;
					continue;
				}
				state = IN_LINE;
			} else if (state == AFTER_LEADING_DOT) {
				if (*p == '\n') {
					/* The "." line: the message ends. */
					off_t sep = chunk_at + (p - chunk) - 1;
					uint64_t len = (uint64_t)(sep - message_start);
					if (!add_message(idx, message_start, len,
							 lines - stuffed))
						return false;
					message_start = sep + 2;
					lines = stuffed = 0;
					state = AT_LINE_START;
					p++;
					continue;
				}
				stuffed++;
				state = IN_LINE;
			}
			const char *lf = memchr(p, '\n', (size_t)(end - p));
			if (!lf)
				break;
			lines++;
			state = AT_LINE_START;
			p = lf + 1;
		}
		chunk_at += got;
	}
	return true;
}

void mailbox_index_free(struct mailbox_index *idx)
{
	free(idx->entries);
	free(idx->large);
	free(idx->checkpoints);
	memset(idx, 0, sizeof *idx);
}

static const struct index_large *find_large(const struct mailbox_index *idx,
					    size_t i)
{
	size_t lo = 0, hi = idx->large_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (idx->large[mid].number < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &idx->large[lo];         /* present: entries[i] said so */
}

uint64_t mailbox_index_stored_len(const struct mailbox_index *idx, size_t i)
{
	const struct index_entry *e = &idx->entries[i];
	return e->stored_len != INDEX_LARGE ? e->stored_len :
	       find_large(idx, i)->stored_len;
}

uint64_t mailbox_index_pop3_size(const struct mailbox_index *idx, size_t i)
{
	const struct index_entry *e = &idx->entries[i];
	if (e->stored_len != INDEX_LARGE)
		return (uint64_t)e->stored_len + e->excess;
	const struct index_large *l = find_large(idx, i);
	return l->stored_len + l->excess;
}

off_t mailbox_index_offset(const struct mailbox_index *idx, size_t i)
{
	size_t first = i - i % CHECKPOINT_EVERY;
	off_t at = idx->checkpoints[i / CHECKPOINT_EVERY];
	for (size_t j = first; j < i; j++)
		at += (off_t)mailbox_index_stored_len(idx, j) + 2;  /* + ".\n" */
	return at;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static bool read_exact(int fd, char *buf, size_t len, off_t at)
{
	while (len > 0) {
		ssize_t got = pread(fd, buf, len, at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got == 0)
			errno = ENODATA;        /* shorter than the index says */
		if (got <= 0)
			return false;
		buf += got;
		len -= (size_t)got;
		at += got;
	}
	return true;
}

bool mailbox_index_uidl(const struct mailbox_index *idx, int fd, size_t i,
			char out[MAILBOX_UIDL_LEN + 1])
{
	char span[UIDL_SPAN];
	off_t at = mailbox_index_offset(idx, i);
	uint64_t len = mailbox_index_stored_len(idx, i);
	uint64_t size = mailbox_index_pop3_size(idx, i);
	size_t head = len < UIDL_SPAN ? (size_t)len : UIDL_SPAN;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!read_exact(fd, span, head, at))
		return false;
	h = fnv1a(h, span, head);
	if (len > UIDL_SPAN) {
		if (!read_exact(fd, span, UIDL_SPAN,
				at + (off_t)(len - UIDL_SPAN)))
			return false;
		h = fnv1a(h, span, UIDL_SPAN);
	}
	unsigned char sizes[16];
	for (int b = 0; b < 8; b++) {
		sizes[b] = (unsigned char)(len >> (8 * b));
		sizes[8 + b] = (unsigned char)(size >> (8 * b));
	}
	h = fnv1a(h, sizes, sizeof sizes);
	static const char hex[] = "0123456789abcdef";
	for (int d = 0; d < MAILBOX_UIDL_LEN; d++)
		out[d] = hex[(h >> (4 * (MAILBOX_UIDL_LEN - 1 - d))) & 15];
	out[MAILBOX_UIDL_LEN] = '\0';
	return true;
}
