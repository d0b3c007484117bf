/* lineio: the one bounded line reader and the one buffered writer.
 *
 * The reader splits input on LF, tells whether the line ended CRLF or bare
 * LF, hands out a line longer than the caller's limit in fragments (so DATA
 * can stream it and commands can refuse it), and waits with poll() so an
 * idle peer times out.  Before it blocks it flushes the writer it was given:
 * that is what makes replies to pipelined commands go out in one write. */
#ifndef LINEIO_H
#define LINEIO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define LINEIO_BUFSIZE 8192
/* Large enough that bulk output (RETR of many small messages) leaves in
 * few writes: with Nagle off, every write is a segment and a wakeup of
 * the reader.  Only the part in use is ever touched (resident). */
#define WRITER_BUFSIZE 65536

struct writer {
	int fd;
	bool record;            /* copy what is written to record_out */
	bool failed;            /* a write failed: the peer is gone */
	size_t len;
	char buf[WRITER_BUFSIZE];
};

enum line_status {
	LINE_OK,                /* a fragment or a whole line is in struct line */
	LINE_EOF,               /* clean end of input between lines */
	LINE_TIMEOUT,           /* nothing arrived within the timeout */
	LINE_ERROR,             /* read error (a last line without its ending
				 * comes as LINE_OK, unterminated) */
};

struct line {
	char *text;             /* not NUL-terminated; valid until the next read */
	size_t len;             /* without the CR LF / LF */
	bool complete;          /* false: no LF within the limit, more follows */
	bool crlf;              /* complete line that ended with CR LF */
	bool unterminated;      /* last bytes of the input, with no LF at all */
	bool has_nul;           /* text holds a NUL byte */
};

/* Where the secret part of a line (a password) begins, or len when the
 * line holds none. */
typedef size_t (*secret_finder)(const char *text, size_t len);

struct line_reader {
	int fd;
	/* Copy what is consumed to record_in, as it is handed out: a line's
	 * secret part is recorded as eight stars.  secret_next_line: all of
	 * the next line is secret (a SASL response); find_secret: looks into
	 * the lines handed out while it is set (command lines). */
	bool record;
	bool secret_next_line;
	secret_finder find_secret;
	bool in_secret;         /* dropping the rest of a secret line */
	int timeout_ms;         /* < 0: wait forever */
	struct writer *flush_first;
	size_t start, end;
	bool eof;
	char buf[LINEIO_BUFSIZE];
};

void reader_init(struct line_reader *r, int fd, int timeout_ms,
		 struct writer *flush_first);
/* Next line, or a fragment of at most max_len bytes (max_len <= the buffer
 * size minus 2) when the line is longer. */
enum line_status reader_next(struct line_reader *r, size_t max_len,
			     struct line *out);
/* Discard the rest of an over-long line; true when its end was found. */
enum line_status reader_skip_rest(struct line_reader *r);
/* For a binary header ahead of the line protocol (PROXY v2): wait until at
 * least want bytes (at most the buffer size) are buffered, or the input
 * ends, and show what is buffered without consuming it. */
enum line_status reader_peek(struct line_reader *r, size_t want,
			     const char **data, size_t *avail);
/* Drop n bytes of what a peek showed, once parsed. */
void reader_consume(struct line_reader *r, size_t n);
/* Raw octets, for a byte-counted body (BDAT): hand out and consume up to
 * want bytes, those already buffered or else what the next read brings
 * (waiting at most the timeout), with no regard for line endings.
 * LINE_EOF when the input has ended; *data is valid until the next
 * read. */
enum line_status reader_take(struct line_reader *r, size_t want,
			     const char **data, size_t *got);

void writer_init(struct writer *w, int fd);
void writer_put(struct writer *w, const void *data, size_t len);
void writer_puts(struct writer *w, const char *s);
/* Formatted output of up to 1023 octets (longer is cut). */
void writer_printf(struct writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void writer_vprintf(struct writer *w, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* For output made in place (RETR's line-ending conversion), saving a copy:
 * writer_room flushes if fewer than need (<= WRITER_BUFSIZE) bytes are
 * free, then returns where the free bytes start and sets *room to how many
 * there are; writer_commit then adds the len (<= *room) bytes written. */
char *writer_room(struct writer *w, size_t need, size_t *room);
void writer_commit(struct writer *w, size_t len);
/* Returns false once any write to the peer has failed. */
bool writer_flush(struct writer *w);

/* If fd is a TCP socket, turn Nagle's algorithm off: the writer already
 * sends whole replies in one write, and the kernel holding back a write
 * until the previous one is ACKed (delayed by up to 40 ms on the peer)
 * only adds waiting.  Harmless on pipes and files. */
void writer_no_delay(int fd);

/* If fd is a socket, a write that gets nowhere for timeout_ms fails, so a
 * client that stops reading cannot hold its session (and the session's
 * locks) for ever; on pipes a write still waits. */
void writer_timeout(int fd, int timeout_ms);

/* End the connection on fd 0 and 1 once the session is over, so the
 * client sees the end at once rather than after the kernel has torn this
 * process down: the next session can begin meanwhile. */
void connection_hang_up(void);

/* write(2) all of buf, retrying on EINTR and short writes. */
bool write_all(int fd, const void *buf, size_t len);

#endif
