/* pop3_retrieve: RETR and TOP.  The stored form is already dot-stuffed, so
 * a message goes out as its stored bytes with each LF turned into CR LF,
 * read (through the maildrop's read window) and sent in bounded pieces
 * whatever the message's size. */
#include <string.h>

#include "pop3.h"

#define MIN_ROOM 4096           /* converting less at a time costs more calls */
_Static_assert(MIN_ROOM <= WRITER_BUFSIZE, "the writer can make MIN_ROOM free");

/* Where TOP is in the message. */
struct top_state {
	bool in_header;
	long long body_lines_left;      /* < 0: no limit (RETR) */
};

/* Convert in[0..len) into out, stopping where TOP's line budget runs out.
 * *at_line_start carries across chunks.  Returns the bytes written to out;
 * *done is set when TOP has sent all it should. */
static size_t convert(const char *in, size_t len, char *out,
		      bool *at_line_start, struct top_state *top, bool *done)
{
	const char *p = in, *end = in + len;
	char *o = out;
	while (p < end) {
		if (*at_line_start && top->body_lines_left >= 0) {
			if (top->in_header) {
				if (*p == '\n')
					top->in_header = false;  /* the blank line */
			} else if (top->body_lines_left-- == 0) {
				*done = true;
				break;
			}
		}
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((lf ? lf : end) - p);
		memcpy(o, p, n);
		o += n;
		p += n;
		*at_line_start = lf != NULL;
		if (lf) {
			*o++ = '\r';
			*o++ = '\n';
			p++;
		}
	}
	return (size_t)(o - out);
}

bool pop3_send_message(struct pop3_session *s, size_t i, long long body_lines)
{
	struct writer *out = &s->session.out;
	off_t at, end;
	maildrop_message_range(&s->maildrop, i, &at, &end);
	struct top_state top = { true, body_lines };
	bool at_line_start = true, done = false;

	/* Through the writer: a small message leaves in one write with its
	 * +OK and ".", so Nagle's algorithm never holds a piece of it back
	 * waiting for the client's delayed ACK. */
	while (at < end && !done && !out->failed) {
		const char *in;
		size_t got = maildrop_read(&s->maildrop, at, end, &in), room;
		if (got == 0)
			return false;
		/* Converted straight into the writer, as much as surely fits
		 * (each byte may become two); the writer is flushed only when
		 * it has less than MIN_ROOM, or this small rest, left. */
		size_t need = 2 * got < MIN_ROOM ? 2 * got : MIN_ROOM;
		char *room_at = writer_room(out, need, &room);
		if (got > room / 2)
			got = room / 2;
		at += (off_t)got;
		writer_commit(out, convert(in, got, room_at, &at_line_start,
					       &top, &done));
	}
	reply(s, LINE_END);
	return true;
}
