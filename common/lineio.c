/* lineio: see lineio.h. */
#include "lineio.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "record.h"
#include "stamp.h"

void reader_init(struct line_reader *r, int fd, int timeout_ms,
		 struct writer *flush_first)
{
	r->fd = fd;
	r->record = false;
	r->secret_next_line = false;
	r->find_secret = NULL;
	r->in_secret = false;
	r->timeout_ms = timeout_ms;
	r->flush_first = flush_first;
	r->start = r->end = 0;
	r->eof = false;
}

/* Read more bytes into the buffer, waiting at most until deadline (ms on the
 * monotonic clock, < 0 for no limit). */
static enum line_status fill(struct line_reader *r, long long deadline)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->flush_first)
		writer_flush(r->flush_first);
	for (;;) {
		if (deadline >= 0) {
			long long left = deadline - stamp_clock_ms();
			if (left <= 0)
				return LINE_TIMEOUT;
			struct pollfd p = { .fd = r->fd, .events = POLLIN };
			int n = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
			if (n < 0 && errno != EINTR)
				return LINE_ERROR;
			if (n <= 0)
				continue;
		}
		ssize_t got = read(r->fd, r->buf + r->end, sizeof r->buf - r->end);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return LINE_ERROR;
		}
		if (got == 0)
			r->eof = true;
		r->end += (size_t)got;
		return LINE_OK;
	}
}

/* Record the next n octets, which are not a line (a PROXY header, a BDAT
 * chunk), as they are, and consume them. */
static void consume_raw(struct line_reader *r, size_t n)
{
	if (r->record)
		record_in(r->buf + r->start, n);
	r->start += n;
}

/* Record a line or a fragment of one (len octets of text, then its line
 * ending up to consumed; complete: the line ends here) with its secret
 * part starred, once per line.  The rest of an over-long command line is
 * starred as well: its password may begin past the part seen. */
static void record_line(struct line_reader *r, const char *text, size_t len,
			size_t consumed, bool complete)
{
	size_t secret = len;
	if (r->in_secret || r->secret_next_line)
		secret = 0;
	else if (r->find_secret)
		secret = r->find_secret(text, len);
	r->secret_next_line = false;
	if (secret == len && !r->in_secret && (complete || !r->find_secret)) {
		record_in(text, consumed);
		return;
	}
	record_in(text, secret);
	if (!r->in_secret)
		record_in("********", 8);
	/* The line ending is kept; without one, more of the line follows. */
	record_in(text + len, consumed - len);
	r->in_secret = !complete;
}

static void hand_out(struct line_reader *r, size_t len, size_t consumed,
		     struct line *out)
{
	out->text = r->buf + r->start;
	out->len = len;
	out->has_nul = memchr(out->text, '\0', len) != NULL;
	if (r->record)
		record_line(r, out->text, len, consumed, out->complete);
	r->start += consumed;
}

/* When a line must have arrived: the timeout from now, or < 0 for none. */
static long long deadline_from_now(const struct line_reader *r)
{
	return r->timeout_ms < 0 ? -1 : stamp_clock_ms() + r->timeout_ms;
}

enum line_status reader_next(struct line_reader *r, size_t max_len,
			     struct line *out)
{
	/* Taken at the first read this line needs: a line already buffered
	 * (pipelined commands, DATA) costs no clock reading. */
	long long deadline = 0;
	bool waited = false;
	if (max_len > sizeof r->buf - 2)
		max_len = sizeof r->buf - 2;
	for (;;) {
		size_t avail = r->end - r->start;
		char *base = r->buf + r->start;
		/* A CRLF line of max_len needs max_len + 2 bytes in view. */
		size_t look = avail < max_len + 2 ? avail : max_len + 2;
		char *lf = memchr(base, '\n', look);
		if (lf) {
			size_t len = (size_t)(lf - base);
			bool cr = len > 0 && base[len - 1] == '\r';
			if (len - cr <= max_len) {
				out->complete = true;
				out->crlf = cr;
				out->unterminated = false;
				hand_out(r, len - cr, len + 1, out);
				return LINE_OK;
			}
		}
		if (avail >= max_len + 2 || (lf && avail > max_len)) {
			out->complete = false;
			out->crlf = false;
			out->unterminated = false;
			hand_out(r, max_len, max_len, out);
			return LINE_OK;
		}
		if (r->eof) {
			if (avail == 0)
				return LINE_EOF;
			/* Last line without a line ending; never more than
			 * max_len bytes at once, like any other line. */
			size_t len = avail > max_len ? max_len : avail;
			out->complete = len == avail;
			out->crlf = false;
			out->unterminated = out->complete;
			hand_out(r, len, len, out);
			return LINE_OK;
		}
		if (!waited) {
			deadline = deadline_from_now(r);
			waited = true;
		}
		enum line_status st = fill(r, deadline);
		if (st != LINE_OK)
			return st;
	}
}

enum line_status reader_peek(struct line_reader *r, size_t want,
			     const char **data, size_t *avail)
{
	long long deadline = deadline_from_now(r);
	if (want > sizeof r->buf)
		want = sizeof r->buf;
	while (r->end - r->start < want && !r->eof) {
		enum line_status st = fill(r, deadline);
		if (st != LINE_OK)
			return st;
	}
	*data = r->buf + r->start;
	*avail = r->end - r->start;
	return LINE_OK;
}

void reader_consume(struct line_reader *r, size_t n)
{
	size_t pending = r->end - r->start;
	consume_raw(r, n < pending ? n : pending);
}

enum line_status reader_take(struct line_reader *r, size_t want,
			     const char **data, size_t *got)
{
	if (r->start == r->end && !r->eof) {
		enum line_status st = fill(r, deadline_from_now(r));
		if (st != LINE_OK)
			return st;
	}
	size_t avail = r->end - r->start;
	if (avail == 0)
		return LINE_EOF;
	*got = want < avail ? want : avail;
	*data = r->buf + r->start;
	consume_raw(r, *got);
	return LINE_OK;
}

enum line_status reader_skip_rest(struct line_reader *r)
{
	struct line part;
	enum line_status st;
	while ((st = reader_next(r, sizeof r->buf - 2, &part)) == LINE_OK)
		if (part.complete)
			return LINE_OK;
	return st;
}

void writer_init(struct writer *w, int fd)
{
	w->fd = fd;
	w->record = false;
	w->failed = false;
	w->len = 0;
}

void writer_no_delay(int fd)
{
	int on = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

void writer_timeout(int fd, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* The one place session output reaches its fd: the recording is taken
 * here, of what was written. */
static void writer_write(struct writer *w, const void *data, size_t len)
{
	if (w->failed)
		return;
	if (!write_all(w->fd, data, len))
		w->failed = true;
	else if (w->record)
		record_out(data, len);
}

bool writer_flush(struct writer *w)
{
	if (w->len > 0)
		writer_write(w, w->buf, w->len);
	w->len = 0;
	return !w->failed;
}

void writer_put(struct writer *w, const void *data, size_t len)
{
	if (w->len + len > sizeof w->buf)
		writer_flush(w);
	if (len >= sizeof w->buf) {
		writer_write(w, data, len);
		return;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

char *writer_room(struct writer *w, size_t need, size_t *room)
{
	if (need > sizeof w->buf)
		abort();        /* a caller's bug: it could never fit */
	if (w->len + need > sizeof w->buf)
		writer_flush(w);
	*room = sizeof w->buf - w->len;
	return w->buf + w->len;
}

void writer_commit(struct writer *w, size_t len)
{
	w->len += len;
}

void writer_puts(struct writer *w, const char *s)
{
	writer_put(w, s, strlen(s));
}

void writer_vprintf(struct writer *w, const char *fmt, va_list ap)
{
	char tmp[1024];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	if (n < 0)
		return;
	writer_put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void writer_printf(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	writer_vprintf(w, fmt, ap);
	va_end(ap);
}

void connection_hang_up(void)
{
	/* shutdown reaches the client even where fd 2 is the same socket
	 * (inetd); on pipes it fails, and closing them is the end. */
	shutdown(1, SHUT_WR);
	close(0);
	close(1);
}
