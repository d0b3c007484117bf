/* smtp_data: the DATA and BDAT commands.  The message is spooled as it
 * arrives, then appended to every recipient's mailbox; 250 only once all
 * are fsynced.
 * The spool is the writer's fixed buffer while the message fits in it, and
 * an unlinked temporary file once it outgrows it (memory does not grow with
 * the message's size).  Most mail fits, and then no temporary inode is
 * created and dropped, which the delivery's fsync would have to commit. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "number.h"
#include "smtp.h"
#include "stamp.h"
#include "store.h"
#include "tempfile.h"

struct receipt {
	struct writer spool;    /* fd < 0 while the message fits in its buffer */
	int spool_error;        /* errno of the spool file's failure, or 0 */
	off_t size;             /* octets of the message in stored form */
	bool too_big;
	bool in_header;         /* still in the header section */
	bool first_line;
	bool needs_separator;   /* message starts without a header section */
	bool has_from, has_to, has_subject;
	const char *loops_to;   /* a mailbox its Delivered-To: names, or NULL */
	/* BDAT: the line being put together, which chunks may split
	 * anywhere, handed on in pieces of at most SMTP_DATA_PIECE octets as
	 * DATA's reader hands them out. */
	char piece[SMTP_DATA_PIECE];
	size_t piece_len;
	bool mid_line;          /* part of this line has been handed on */
	bool pending_cr;        /* a CR whose LF may open the next chunk */
};

/* A new, empty message, or NULL (logged) when none can be spooled.  The
 * spool starts in memory; if its file could never be created (a read-only
 * or unwritable mail root), that is known now, not after the client has
 * sent the whole message. */
static struct receipt *receipt_new(void)
{
	if (faccessat(AT_FDCWD, ".", W_OK, AT_EACCESS) != 0) {
		log_msg(LOG_ERR, "cannot create spool file: %s", strerror(errno));
		return NULL;
	}
	struct receipt *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	writer_init(&m->spool, -1);
	m->in_header = m->first_line = true;
	return m;
}

static void receipt_free(struct receipt *m)
{
	if (!m)
		return;
	if (m->spool.fd >= 0)
		close(m->spool.fd);
	free(m);
}

/* Where a header field's name ends: RFC 5322 allows white space before
 * the colon (obsolete syntax, which receivers accept).  Returns the
 * offset of the colon, or 0 when text is no header field. */
static size_t header_colon(const char *text, size_t len)
{
	size_t i = 0;
	while (i < len && text[i] > ' ' && text[i] < 0x7f && text[i] != ':')
		i++;
	size_t name_end = i;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	return name_end > 0 && i < len && text[i] == ':' ? i : 0;
}

/* Is text a header field called name (any case)? */
static bool header_named(const char *text, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && strncasecmp(text, name, n) == 0 &&
	       header_colon(text, len) >= n &&
	       (text[n] == ':' || text[n] == ' ' || text[n] == '\t');
}

/* Does the Delivered-To: field's value name the mailbox of user?  The
 * message was delivered there before: delivering it again would loop. */
static bool delivered_to(const struct smtp_session *s, const char *text,
			 size_t len, const char *user)
{
	size_t i = header_colon(text, len) + 1;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	while (len > i && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	const char *domain = s->session.settings.domain;
	size_t ulen = strlen(user), dlen = strlen(domain);
	return len - i == ulen + 1 + dlen &&
	       strncasecmp(text + i, user, ulen) == 0 && text[i + ulen] == '@' &&
	       strncasecmp(text + i + ulen + 1, domain, dlen) == 0;
}

/* Note which of From:, To:, Subject: the message brings itself, and any
 * Delivered-To: naming one of its mailboxes. */
static void scan_header_line(const struct smtp_session *s, struct receipt *m,
			     const char *text, size_t len)
{
	bool first = m->first_line;
	m->first_line = false;
	if (!m->in_header)
		return;
	/* A folded continuation line must follow a header; on the first line
	 * it would fold into the headers we prepend. */
	bool continuation = !first && (text[0] == ' ' || text[0] == '\t');
	if (len == 0 || (!header_colon(text, len) && !continuation)) {
		m->in_header = false;
		m->needs_separator = first && len > 0;
		return;
	}
	m->has_from |= header_named(text, len, "From");
	m->has_to |= header_named(text, len, "To");
	m->has_subject |= header_named(text, len, "Subject");
	if (header_named(text, len, "Delivered-To"))
		for (size_t i = 0; i < s->n_rcpt && !m->loops_to; i++)
			if (delivered_to(s, text, len, s->rcpt[i].user))
				m->loops_to = s->rcpt[i].user;
}

static void spool_put(struct receipt *m, off_t max_size, const char *text,
		      size_t len)
{
	if (m->too_big || m->spool_error)
		return;
	if (m->size + (off_t)len > max_size) {
		m->too_big = true;
		return;
	}
	if (m->spool.fd < 0 && m->spool.len + len > sizeof m->spool.buf) {
		m->spool.fd = tempfile_unlinked(".");
		if (m->spool.fd < 0) {
			m->spool_error = errno;
			return;
		}
	}
	writer_put(&m->spool, text, len);
	if (m->spool.failed)
		m->spool_error = errno;         /* the write that just failed */
	m->size += (off_t)len;
}

/* A piece of a message line (a whole line, or up to SMTP_DATA_PIECE octets
 * of a longer one) into the spool in stored form: a line's first piece is
 * scanned as a header line and gets a "." in front where stuff_dot says,
 * and a complete line ends with LF. */
static void spool_piece(const struct smtp_session *s, struct receipt *m,
			const char *text, size_t len, bool line_start,
			bool complete, bool stuff_dot)
{
	off_t max_size = s->session.settings.max_message_size;
	if (line_start)
		scan_header_line(s, m, text, len);
	if (stuff_dot)
		spool_put(m, max_size, ".", 1);
	spool_put(m, max_size, text, len);
	if (complete)
		spool_put(m, max_size, "\n", 1);
}

/* Read the message up to <CRLF>.<CRLF> into the spool.  A bare LF ends a
 * line too, but only a "." line ended by CRLF after a line ended by CRLF
 * ends the data, so no input can be split into two messages.  Returns
 * STATUS_OK, or how the session ended first (a timeout answered). */
static enum status receive(struct smtp_session *s, struct receipt *m)
{
	bool line_start = true, previous_crlf = true;
	struct line l;
	for (;;) {
		enum line_status st = reader_next(&s->session.in, SMTP_DATA_PIECE, &l);
		if (st == LINE_TIMEOUT) {
			reply(s, REPLY_TIMEOUT, s->session.settings.domain);
			return STATUS_TIMEOUT;
		}
		if (st != LINE_OK || l.unterminated)
			return STATUS_GONE;
		bool lone_dot = line_start && l.complete && l.len == 1 &&
				l.text[0] == '.';
		if (lone_dot && l.crlf && previous_crlf)
			return STATUS_OK;
		/* Stored form is dot-stuffed: a lone "." that does not end the
		 * data must not read as the separator on disk. */
		spool_piece(s, m, l.text, l.len, line_start, l.complete,
			    lone_dot);
		line_start = l.complete;
		previous_crlf = l.complete && l.crlf;
	}
}

/* Append to a text of known capacity; *len stops at the capacity, so a
 * truncated snprintf can never push it past the end. */
static void append(char *text, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *text, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

/* Received: and whichever of From:, To:, Subject: the message lacks, the
 * same for every mailbox.  An added To: names no recipient: the others
 * are not to see who else got the message (Bcc, RFC 5322 3.6.3).  Returns
 * a malloc'd string. */
static char *trace_headers(const struct smtp_session *s, const struct receipt *m,
			   const char *id, size_t *len)
{
	size_t size = 1024 + 3 * SMTP_PATH_MAX + strlen(s->session.settings.domain) +
		      strlen(s->session.peer);
	char *text = malloc(size), date[64];
	if (!text)
		return NULL;
	stamp_date(date, sizeof date, time(NULL));
	/* RFC 3848 and RFC 6531: S for TLS, A for an authenticated client. */
	const char *with = !s->esmtp ? "SMTP" : s->smtputf8 ? "UTF8SMTP" :
			   "ESMTP";
	const char *tls = s->esmtp && s->session.tls ? "S" : "";
	const char *auth = s->esmtp && s->auth_user[0] ? "A" : "";
	size_t n = 0;
	append(text, size, &n, "Received: from %s (%s) by %s with %s%s%s id %s; "
	       "%s\n", s->helo, s->session.peer, s->session.settings.domain,
	       with, tls, auth, id, date);
	if (!m->has_from)
		append(text, size, &n, "From: %s\n",
		       s->sender[0] ? s->sender : "<>");
	if (!m->has_to)
		append(text, size, &n, "To: undisclosed-recipients:;\n");
	if (!m->has_subject)
		append(text, size, &n, "Subject: \n");
	if (m->needs_separator)
		append(text, size, &n, "\n");
	*len = n;
	return text;
}

/* Append to every recipient's mailbox; the reply for the worst outcome.
 * Each copy starts with Return-Path: and a Delivered-To: naming its own
 * mailbox.  If one mailbox fails the sender is told to retry the whole
 * message: a duplicate for the others is better than a lost message. */
static enum reply deliver(struct smtp_session *s, struct receipt *m)
{
	char id[64];
	struct store_message msg = { .spool_fd = m->spool.fd,
				     .spool_len = m->size };
	stamp_unique_id(id, sizeof id);
	char *prefix = trace_headers(s, m, id, &msg.prefix_len);
	if (!prefix)
		return REPLY_LOCAL_ERROR;
	/* A message still in memory is appended in one piece with its
	 * trace headers. */
	if (m->spool.fd < 0) {
		char *whole = realloc(prefix, msg.prefix_len + m->spool.len);
		if (!whole) {
			free(prefix);
			return REPLY_LOCAL_ERROR;
		}
		memcpy(whole + msg.prefix_len, m->spool.buf, m->spool.len);
		prefix = whole;
		msg.prefix_len += m->spool.len;
		msg.spool_len = 0;
	}
	msg.prefix = prefix;
	struct store_locking locking = {
		.wait_ms = s->session.settings.lock_wait_ms,
		.stale_seconds = s->session.settings.lock_stale_seconds,
	};
	enum reply outcome = REPLY_ACCEPTED;
	for (size_t i = 0; i < s->n_rcpt; i++) {
		const char *user = s->rcpt[i].user;
		/* The domain is at most 253 octets (config.c). */
		char head[SMTP_PATH_MAX + USER_NAME_MAX + 253 + 64];
		int n = snprintf(head, sizeof head, "Return-Path: <%s>\n"
				 "Delivered-To: %s@%s\n", s->sender, user,
				 s->session.settings.domain);
		if (n < 0 || (size_t)n >= sizeof head) {
			outcome = REPLY_LOCAL_ERROR;
			break;
		}
		msg.head = head;
		msg.head_len = (size_t)n;
		enum store_result r = store_append(user, &msg, &locking);
		if (r == STORE_OK) {
			log_msg(LOG_INFO, "delivered id=%s from=<%s>%s%s to=%s "
				"size=%lld", id, s->sender,
				s->auth_user[0] ? " auth=" : "", s->auth_user,
				user, (long long)(msg.spool_len +
				(off_t)(msg.head_len + msg.prefix_len)));
			continue;
		}
		log_msg(LOG_ERR, "delivery id=%s to %s failed", id, user);
		outcome = r == STORE_BUSY ? REPLY_MAILBOX_BUSY : REPLY_LOCAL_ERROR;
	}
	free(prefix);
	return outcome;
}

static bool out_of_space(int error)
{
	return error == ENOSPC || error == EDQUOT || error == EFBIG;
}

void smtp_transaction_reset(struct smtp_session *s)
{
	s->sender[0] = '\0';
	s->smtputf8 = false;
	s->n_addresses = 0;
	s->n_rcpt = 0;
	receipt_free(s->chunks);
	s->chunks = NULL;
	if (s->session.state != STATE_START)
		s->session.state = STATE_READY;
}

/* The reply to a message received whole. */
static enum status settle(struct smtp_session *s, struct receipt *m)
{
	if (m->too_big) {
		log_msg(LOG_NOTICE, "refused message over %lld bytes from <%s>",
			(long long)s->session.settings.max_message_size,
			s->sender);
		return reply(s, REPLY_TOO_BIG);
	}
	if (!m->spool_error && m->spool.fd >= 0 && !writer_flush(&m->spool))
		m->spool_error = errno;
	if (m->spool_error) {
		log_msg(LOG_ERR, "cannot spool message: %s",
			strerror(m->spool_error));
		return reply(s, out_of_space(m->spool_error) ? REPLY_NO_SPACE :
			     REPLY_LOCAL_ERROR);
	}
	if (m->loops_to) {
		log_msg(LOG_NOTICE, "refused message from <%s>: Delivered-To: "
			"names the mailbox of %s (a mail loop)", s->sender,
			m->loops_to);
		return reply(s, REPLY_LOOP);
	}
	return reply(s, deliver(s, m));
}

enum status smtp_data(struct smtp_session *s)
{
	struct receipt *m = receipt_new();
	if (!m)
		return reply(s, REPLY_LOCAL_ERROR);
	reply(s, REPLY_START_DATA);

	enum status r = receive(s, m);
	if (r == STATUS_OK)
		r = settle(s, m);
	else
		log_msg(LOG_NOTICE, "connection lost during DATA from %s",
			s->session.peer);
	receipt_free(m);
	smtp_transaction_reset(s);
	return r;
}

/* Hand on the line put together so far (complete: its end was seen).  A
 * chunk carries the message unstuffed, so every line starting with "."
 * is stuffed for the store. */
static void piece_out(const struct smtp_session *s, struct receipt *m,
		      bool complete)
{
	bool line_start = !m->mid_line;
	spool_piece(s, m, m->piece, m->piece_len, line_start, complete,
		    line_start && m->piece_len > 0 && m->piece[0] == '.');
	m->piece_len = 0;
	m->mid_line = !complete;
}

/* Add len octets of a line (no line ending among them) to the line being
 * put together, handing on each full piece. */
static void piece_add(const struct smtp_session *s, struct receipt *m,
		      const char *text, size_t len)
{
	while (len > 0) {
		if (m->piece_len == sizeof m->piece)
			piece_out(s, m, false);
		size_t n = sizeof m->piece - m->piece_len;
		if (n > len)
			n = len;
		memcpy(m->piece + m->piece_len, text, n);
		m->piece_len += n;
		text += n;
		len -= n;
	}
}

/* A chunk's octets into the stored form.  Lines end as in DATA: at CR LF
 * or a bare LF; a CR not followed by LF is an octet of its line, as DATA
 * keeps it, so both commands store the same bytes the same way.  The
 * octets between line endings are copied as one span. */
static void chunk_convert(const struct smtp_session *s, struct receipt *m,
			  const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	while (p < end && !m->too_big && !m->spool_error) {
		if (*p == '\n') {
			m->pending_cr = false;
			piece_out(s, m, true);
			p++;
			continue;
		}
		if (m->pending_cr)
			piece_add(s, m, "\r", 1);
		m->pending_cr = *p == '\r';
		if (m->pending_cr) {
			p++;
			continue;
		}
		const char *q = p;
		while (q < end && *q != '\r' && *q != '\n')
			q++;
		piece_add(s, m, p, (size_t)(q - p));
		p = q;
	}
}

/* After the LAST chunk: a message that does not end with a line ending
 * still ends its last line, since the store holds whole lines. */
static void chunk_finish(const struct smtp_session *s, struct receipt *m)
{
	if (m->pending_cr)
		piece_add(s, m, "\r", 1);
	m->pending_cr = false;
	if (m->piece_len > 0 || m->mid_line)
		piece_out(s, m, true);
}

/* Read the size octets of a chunk into m, or drop them where m is NULL.
 * Returns STATUS_OK, or how the session ended first (a timeout
 * answered). */
static enum status read_chunk(struct smtp_session *s, unsigned long long size,
			      struct receipt *m)
{
	while (size > 0) {
		const char *data;
		size_t got;
		enum line_status st = reader_take(&s->session.in,
			size < SIZE_MAX ? (size_t)size : SIZE_MAX, &data, &got);
		if (st == LINE_TIMEOUT) {
			reply(s, REPLY_TIMEOUT, s->session.settings.domain);
			return STATUS_TIMEOUT;
		}
		if (st != LINE_OK) {
			log_msg(LOG_NOTICE, "connection lost during BDAT from %s",
				s->session.peer);
			return STATUS_GONE;
		}
		if (m)
			chunk_convert(s, m, data, got);
		size -= got;
	}
	return STATUS_OK;
}

enum bdat_syntax {
	BDAT_OK,
	BDAT_BAD_KEYWORD,       /* a size, then something other than LAST */
	BDAT_NO_SIZE,           /* no size: where the chunk ends is unknown */
};

/* "size" or "size LAST" (RFC 3030).  A size of any length is a size: one
 * beyond what can be counted saturates, and is over the limit anyway. */
static enum bdat_syntax parse_bdat(char *args, unsigned long long *size,
				   bool *last)
{
	char *save, *word = strtok_r(args, " ", &save);
	if (!word || !parse_uint_saturating(word, size))
		return BDAT_NO_SIZE;
	word = strtok_r(NULL, " ", &save);
	*last = word && strcasecmp(word, "LAST") == 0;
	if (word && !*last)
		return BDAT_BAD_KEYWORD;
	return strtok_r(NULL, " ", &save) ? BDAT_BAD_KEYWORD : BDAT_OK;
}

/* Every chunk is read whole before its reply (RFC 3030 2), also one that
 * is refused, so the session stays in step with a client that pipelines.
 * A refused chunk ends its transaction: the chunks the client had
 * already sent after it then meet no transaction and are dropped (503)
 * rather than joined to a message that lacks one. */
enum status smtp_bdat(struct smtp_session *s, char *args)
{
	unsigned long long size = 0;
	bool last = false;
	enum bdat_syntax syntax = parse_bdat(args, &size, &last);
	if (syntax == BDAT_NO_SIZE) {
		/* Reading on would run the message's octets as commands. */
		log_msg(LOG_NOTICE, "BDAT without a size from %s, closing",
			s->session.peer);
		reply(s, REPLY_BDAT_UNREADABLE);
		return STATUS_FAILURE;
	}
	bool in_place = s->session.state & (STATE_RCPT | STATE_CHUNKS);
	if (in_place && syntax == BDAT_OK && !s->chunks)
		s->chunks = receipt_new();
	struct receipt *m = in_place && syntax == BDAT_OK ? s->chunks : NULL;
	enum status r = read_chunk(s, size, m);
	if (r != STATUS_OK)
		return r;
	if (!in_place)
		return refuse_out_of_place(s, STATE_RCPT | STATE_CHUNKS);
	if (!m) {
		r = reply(s, syntax == BDAT_OK ? REPLY_LOCAL_ERROR :
			  REPLY_BDAT_SYNTAX);
	} else if (!last && !m->too_big && !m->spool_error) {
		char octets[32];
		snprintf(octets, sizeof octets, "%llu", size);
		s->session.state = STATE_CHUNKS;
		return reply(s, REPLY_CHUNK_RECEIVED, octets);
	} else {
		chunk_finish(s, m);
		r = settle(s, m);
	}
	smtp_transaction_reset(s);
	return r;
}
