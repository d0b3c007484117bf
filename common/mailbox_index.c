/* mailbox_index: see mailbox_index.h. */
#include "mailbox_index.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define UIDL_SPAN 1024
#define WIDTH_BITS 7            /* a width, 0 to 64 */

/* ---- packed bits ---- */

/* Bits needed for x. */
static unsigned width(uint64_t x)
{
	return x ? 64 - (unsigned)__builtin_clzll(x) : 0;
}

static uint64_t get_bits(const uint64_t *bits, uint64_t at, unsigned n)
{
	if (n == 0)
		return 0;
	size_t w = (size_t)(at / 64);
	unsigned shift = (unsigned)(at % 64);
	uint64_t v = bits[w] >> shift;
	if (shift + n > 64)
		v |= bits[w + 1] << (64 - shift);
	return n == 64 ? v : v & ((UINT64_C(1) << n) - 1);
}

/* Append the low n bits of v (no other bit set); room was made. */
static void put_bits(struct mailbox_index *idx, uint64_t v, unsigned n)
{
	if (n == 0)
		return;
	size_t w = (size_t)(idx->bits_used / 64);
	unsigned shift = (unsigned)(idx->bits_used % 64);
	/* Each word is assigned when first reached: the array is never
	 * cleared ahead, so what is not yet written is not resident. */
	if (shift == 0)
		idx->bits[w] = v;
	else
		idx->bits[w] |= v << shift;
	if (shift && shift + n > 64)
		idx->bits[w + 1] = v >> (64 - shift);
	idx->bits_used += n;
}

/* Make the mapping *p of *bytes hold need bytes, doubling from a page:
 * mremap moves pages, it never copies them. */
static bool grow(void *p, size_t *bytes, size_t need)
{
	if (need <= *bytes)
		return true;
	size_t want = *bytes ? *bytes : 4096;
	while (want < need)
		want *= 2;
	void *q = *bytes ? mremap(*(void **)p, *bytes, want, MREMAP_MAYMOVE) :
		  mmap(NULL, want, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return false;
	*(void **)p = q;
	*bytes = want;
	return true;
}

/* ---- blocks ---- */

/* A block's records: how wide, from what base, starting where. */
struct block_view {
	off_t offset;
	uint64_t min_len, min_excess;
	unsigned len_bits, excess_bits;
	uint64_t records;
};

static void view_block(const struct mailbox_index *idx, size_t b,
		       struct block_view *v)
{
	uint64_t at = idx->blocks[b].bit;
	unsigned w;
	v->offset = idx->blocks[b].offset;
	v->len_bits = (unsigned)get_bits(idx->bits, at, WIDTH_BITS);
	at += WIDTH_BITS;
	v->excess_bits = (unsigned)get_bits(idx->bits, at, WIDTH_BITS);
	at += WIDTH_BITS;
	w = (unsigned)get_bits(idx->bits, at, WIDTH_BITS);
	v->min_len = get_bits(idx->bits, at + WIDTH_BITS, w);
	at += WIDTH_BITS + w;
	w = (unsigned)get_bits(idx->bits, at, WIDTH_BITS);
	v->min_excess = get_bits(idx->bits, at + WIDTH_BITS, w);
	v->records = at + WIDTH_BITS + w;
}

/* Pack the pending messages as one block: a header of the widths and
 * the bases, then each message's two differences. */
static bool flush_block(struct mailbox_index *idx)
{
	size_t n = idx->pending, b = (idx->count - n) / INDEX_BLOCK;
	if (n == 0)
		return true;
	uint64_t min_len = UINT64_MAX, max_len = 0;
	uint64_t min_excess = UINT64_MAX, max_excess = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t l = idx->pending_len[k], e = idx->pending_excess[k];
		min_len = l < min_len ? l : min_len;
		max_len = l > max_len ? l : max_len;
		min_excess = e < min_excess ? e : min_excess;
		max_excess = e > max_excess ? e : max_excess;
	}
	unsigned lw = width(max_len - min_len), ew = width(max_excess - min_excess);
	uint64_t bits = 4 * WIDTH_BITS + width(min_len) + width(min_excess) +
			n * (lw + ew);
	/* + a word: put_bits may write the word after the last. */
	if (!grow(&idx->blocks, &idx->blocks_bytes, (b + 1) * sizeof *idx->blocks) ||
	    !grow(&idx->bits, &idx->bits_bytes,
		  (size_t)((idx->bits_used + bits) / 64 + 2) * sizeof *idx->bits))
		return false;
	idx->blocks[b] = (struct index_block){ idx->pending_offset,
					       idx->bits_used };
	put_bits(idx, lw, WIDTH_BITS);
	put_bits(idx, ew, WIDTH_BITS);
	put_bits(idx, width(min_len), WIDTH_BITS);
	put_bits(idx, min_len, width(min_len));
	put_bits(idx, width(min_excess), WIDTH_BITS);
	put_bits(idx, min_excess, width(min_excess));
	for (size_t k = 0; k < n; k++) {
		put_bits(idx, idx->pending_len[k] - min_len, lw);
		put_bits(idx, idx->pending_excess[k] - min_excess, ew);
	}
	idx->pending = 0;
	return true;
}

static bool add_message(struct mailbox_index *idx, off_t start,
			uint64_t stored_len, uint64_t excess)
{
	if (idx->pending == 0)
		idx->pending_offset = start;
	idx->pending_len[idx->pending] = stored_len;
	idx->pending_excess[idx->pending] = excess;
	idx->pending++;
	idx->count++;
	idx->total_size += stored_len + excess;
	idx->end = start + (off_t)stored_len + 2;
	return idx->pending < INDEX_BLOCK || flush_block(idx);
}

/* The scan's place in the file: where the current message and the
 * current line began, and what the lines of the message so far add. */
struct scan {
	off_t message_start, line_start;
	bool line_dot;                  /* the line began in an earlier piece
					 * and its first octet is a '.' */
	uint64_t lines, stuffed;
};

/* An LF at file offset at, in the piece chunk read from chunk_at: its
 * line ends; a line of just "." ends the message. */
static inline bool end_line(struct mailbox_index *idx, struct scan *s,
			    off_t at, const char *chunk, off_t chunk_at)
{
	bool dot = s->line_start >= chunk_at ?
		   s->line_start < at && chunk[s->line_start - chunk_at] == '.' :
		   s->line_dot;
	if (dot && at == s->line_start + 1) {
		if (!add_message(idx, s->message_start,
				 (uint64_t)(s->line_start - s->message_start),
				 s->lines - s->stuffed))
			return false;
		s->message_start = at + 1;
		s->lines = s->stuffed = 0;
	} else {
		s->lines++;
		s->stuffed += dot;
	}
	s->line_start = at + 1;
	return true;
}

/* The LFs of a piece are found a word at a time, all of a word's at
 * once (on a little-endian machine; a byte at a time elsewhere): no call
 * per line, and nothing that depends on where the C library's memchr
 * lands in the program (in the musl build its loop, 16 bytes further on,
 * straddled a 64-byte line and indexing took 13% longer). */
bool mailbox_index_build(struct mailbox_index *idx, int fd, off_t size,
			 char *chunk, size_t chunk_len)
{
	const uint64_t lfs = UINT64_C(0x0a0a0a0a0a0a0a0a);
	const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
	struct scan s = { 0, 0, false, 0, 0 };
	off_t chunk_at = 0;
	memset(idx, 0, sizeof *idx);

	while (fd >= 0 && chunk_at < size) {
		size_t want = size - chunk_at < (off_t)chunk_len ?
			      (size_t)(size - chunk_at) : chunk_len;
		ssize_t got = pread(fd, chunk, want, chunk_at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return false;
		if (got == 0)
			break;                  /* the file shrank: stop there */
		size_t i = 0, n = (size_t)got;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		for (; i + 8 <= n; i += 8) {
			uint64_t w;
			memcpy(&w, chunk + i, sizeof w);
			w ^= lfs;               /* an LF is now a zero octet */
			/* The top bit of each zero octet, and no other. */
			uint64_t m = ~(((w & low7) + low7) | w | low7);
			for (; m; m &= m - 1)
				if (!end_line(idx, &s, chunk_at + (off_t)(i +
					      (size_t)__builtin_ctzll(m) / 8),
					      chunk, chunk_at))
					return false;
		}
#endif
		for (; i < n; i++)
			if (chunk[i] == '\n' &&
			    !end_line(idx, &s, chunk_at + (off_t)i, chunk, chunk_at))
				return false;
		/* A line going on into the next piece takes its first octet
		 * along. */
		if (s.line_start >= chunk_at && s.line_start < chunk_at + got)
			s.line_dot = chunk[s.line_start - chunk_at] == '.';
		chunk_at += got;
	}
	return flush_block(idx);
}

void mailbox_index_free(struct mailbox_index *idx)
{
	if (idx->blocks_bytes)
		munmap(idx->blocks, idx->blocks_bytes);
	if (idx->bits_bytes)
		munmap(idx->bits, idx->bits_bytes);
	memset(idx, 0, sizeof *idx);
}

uint64_t mailbox_index_stored_len(const struct mailbox_index *idx, size_t i)
{
	struct block_view v;
	view_block(idx, i / INDEX_BLOCK, &v);
	uint64_t at = v.records + (i % INDEX_BLOCK) * (v.len_bits + v.excess_bits);
	return v.min_len + get_bits(idx->bits, at, v.len_bits);
}

uint64_t mailbox_index_pop3_size(const struct mailbox_index *idx, size_t i)
{
	struct block_view v;
	view_block(idx, i / INDEX_BLOCK, &v);
	uint64_t at = v.records + (i % INDEX_BLOCK) * (v.len_bits + v.excess_bits);
	return v.min_len + get_bits(idx->bits, at, v.len_bits) +
	       v.min_excess + get_bits(idx->bits, at + v.len_bits, v.excess_bits);
}

off_t mailbox_index_offset(const struct mailbox_index *idx, size_t i)
{
	struct block_view v;
	view_block(idx, i / INDEX_BLOCK, &v);
	size_t j = i % INDEX_BLOCK;
	/* Each message before it: its length and its ".\n". */
	uint64_t at = v.offset + j * (v.min_len + 2);
	for (size_t k = 0; k < j; k++)
		at += get_bits(idx->bits, v.records + k * (v.len_bits + v.excess_bits),
			       v.len_bits);
	return (off_t)at;
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
