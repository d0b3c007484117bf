/* smtp_session: see smtp_session.h.  RFC 5321 for the dialogue, RFC 5322
 * for the header lines the client adds (Date:, Message-ID:). */
#include "smtp_session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "lineio.h"
#include "net.h"
#include "stamp.h"

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with CR LF. */
#define REPLY_LINE_MAX 510
/* RFC 5322 2.1.1: header lines SHOULD stay within 78 characters. */
#define HEADER_FOLD_AT 78

struct reply {
	int code;
	char text[REPLY_LINE_MAX + 1];  /* the last line, code included */
};

enum outcome { ACCEPTED, REFUSED, BROKEN };

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One whole reply, multi-line ("250-...", "250 ...") or not. */
static bool read_reply(struct conn *c, struct reply *r)
{
	for (;;) {
		struct line line;
		if (!conn_read(c, REPLY_LINE_MAX, &line))
			return false;
		const char *t = line.text;
		bool well_formed = line.len >= 3 && t[0] >= '2' && t[0] <= '5' &&
				   digit(t[1]) && digit(t[2]) &&
				   (line.len == 3 || t[3] == ' ' || t[3] == '-');
		if (!well_formed) {
			conn_unexpected(c, &line);
			return false;
		}
		r->code = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
		memcpy(r->text, t, line.len);
		r->text[line.len] = '\0';
		bool more = line.len > 3 && t[3] == '-';
		if (!line.complete)
			reader_skip_rest(&c->in);
		if (!more)
			return true;
	}
}

/* Read the reply to what was sent; anything but the wanted class (2 for
 * 2xx, 3 for 3xx) is shown to the user as the server's refusal of what. */
static enum outcome expect(struct conn *c, int wanted_class, const char *what)
{
	struct reply r;
	if (!read_reply(c, &r))
		return BROKEN;
	if (r.code / 100 == wanted_class)
		return ACCEPTED;
	console_printf("The SMTP server refused %s: ", what);
	console_put_safe(r.text, strlen(r.text));
	console_printf("\n");
	return REFUSED;
}

/* EHLO, or HELO for servers that only know RFC 821 (they answer 5xx). */
static enum outcome greet(struct conn *c)
{
	enum outcome o = expect(c, 2, "the connection");
	if (o != ACCEPTED)
		return o;
	char me[NET_LITERAL_MAX];
	conn_local_literal(c, me, sizeof me);
	conn_send(c, "EHLO %s", me);
	struct reply r;
	if (!read_reply(c, &r))
		return BROKEN;
	if (r.code / 100 == 2)
		return ACCEPTED;
	if (r.code / 100 != 5) {
		console_printf("The SMTP server refused EHLO: ");
		console_put_safe(r.text, strlen(r.text));
		console_printf("\n");
		return REFUSED;
	}
	conn_send(c, "HELO %s", me);
	return expect(c, 2, "HELO");
}

/* To: with the recipients, folded so no line grows past the limit. */
static void put_to_header(struct writer *w, const struct message *m)
{
	size_t column = 3;
	writer_puts(w, "To:");
	for (size_t i = 0; i < m->to_count; i++) {
		size_t len = strlen(m->to[i]);
		if (i > 0) {
			writer_puts(w, ",");
			column++;
		}
		if (i > 0 && column + 1 + len > HEADER_FOLD_AT) {
			writer_puts(w, "\r\n");
			column = 0;
		}
		writer_puts(w, " ");
		writer_put(w, m->to[i], len);
		column += 1 + len;
	}
	writer_puts(w, "\r\n");
}

static void put_headers(struct conn *c, const struct message *m)
{
	char date[64], id[64];
	stamp_date(date, sizeof date, time(NULL));
	stamp_unique_id(id, sizeof id);
	conn_send(c, "From: %s", m->from);
	put_to_header(&c->out, m);
	conn_send(c, "Subject: %s", m->subject);
	conn_send(c, "Date: %s", date);
	conn_send(c, "Message-ID: <%s@%s>", id, strchr(m->from, '@') + 1);
	conn_send(c, "%s", "");         /* the empty line before the body */
}

/* The body from its spool file, CR LF line endings, dot-stuffed
 * (RFC 5321 4.5.2), then the final "." line. */
static bool put_body(struct conn *c, const struct message *m)
{
	if (lseek(m->body_fd, 0, SEEK_SET) != 0) {
		console_printf("Cannot read the message body back.\n");
		return false;
	}
	struct line_reader spool;
	reader_init(&spool, m->body_fd, -1, NULL);
	struct line line;
	bool line_start = true;
	while (reader_next(&spool, LINEIO_BUFSIZE - 2, &line) == LINE_OK) {
		if (line_start && line.len > 0 && line.text[0] == '.')
			writer_put(&c->out, ".", 1);
		writer_put(&c->out, line.text, line.len);
		if (line.complete)
			writer_put(&c->out, "\r\n", 2);
		line_start = line.complete;
	}
	conn_send(c, ".");
	return true;
}

static enum outcome transaction(struct conn *c, const struct message *m)
{
	enum outcome o = greet(c);
	if (o != ACCEPTED)
		return o;
	conn_send(c, "MAIL FROM:<%s>", m->from);
	if ((o = expect(c, 2, "the sender")) != ACCEPTED)
		return o;
	for (size_t i = 0; i < m->to_count; i++) {
		char what[ADDRESS_MAX + 32];
		snprintf(what, sizeof what, "the recipient %s", m->to[i]);
		conn_send(c, "RCPT TO:<%s>", m->to[i]);
		if ((o = expect(c, 2, what)) != ACCEPTED)
			return o;
	}
	conn_send(c, "DATA");
	if ((o = expect(c, 3, "DATA")) != ACCEPTED)
		return o;
	put_headers(c, m);
	if (!put_body(c, m))
		return BROKEN;
	return expect(c, 2, "the message");
}

bool smtp_send(const char *host, const char *port, const struct message *m)
{
	struct conn c;
	if (!conn_open(&c, "SMTP", host, port)) {
		console_printf("Mail not sent.\n");
		return false;
	}
	enum outcome o = transaction(&c, m);
	if (o != BROKEN) {
		/* The mail's fate is known: read the goodbye without comment. */
		struct line bye;
		conn_send(&c, "QUIT");
		reader_next(&c.in, REPLY_LINE_MAX, &bye);
	}
	conn_close(&c);
	console_printf(o == ACCEPTED ? "Mail sent successfully\n"
				     : "Mail not sent.\n");
	return o == ACCEPTED;
}
