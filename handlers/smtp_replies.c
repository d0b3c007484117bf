/* smtp_replies: every reply text of smtp-handler, in one place. */
#include <stdarg.h>
#include <stdio.h>

#include "smtp.h"

struct reply_text {
	int code;
	const char *enhanced;   /* RFC 3463 code, sent after EHLO only */
	const char *text;       /* printf format; arguments are strings */
};

static const struct reply_text replies[REPLY_COUNT] = {
	[REPLY_GREETING]        = { 220, NULL, "%s Service ready" },
	[REPLY_CLOSING]         = { 221, "2.0.0", "%s closing connection" },
	[REPLY_HELO]            = { 250, NULL, "%s Hello %s" },
	[REPLY_OK]              = { 250, "2.0.0", "OK" },
	[REPLY_SENDER_OK]       = { 250, "2.1.0", "%s... Sender ok" },
	[REPLY_RECIPIENT_OK]    = { 250, "2.1.5", "%s... Recipient ok" },
	[REPLY_START_DATA]      = { 354, NULL, "Enter mail, end with \".\" on a line by itself" },
	[REPLY_ACCEPTED]        = { 250, "2.0.0", "OK Message accepted for delivery" },
	[REPLY_CHUNK_RECEIVED]  = { 250, "2.0.0", "%s octets received" },
	[REPLY_VRFY]            = { 252, "2.5.2", "Cannot verify users here; send the message and delivery will be attempted" },
	[REPLY_HELP]            = { 214, "2.0.0", "Commands: %s" },
	[REPLY_UNRECOGNIZED]    = { 500, "5.5.2", "Syntax error, command unrecognized" },
	[REPLY_LINE_TOO_LONG]   = { 500, "5.5.6", "Line too long (" LIMIT_TEXT(SMTP_LINE_MAX) " octets at most)" },
	[REPLY_NUL_BYTE]        = { 500, "5.5.2", "NUL byte in command refused" },
	[REPLY_SYNTAX]          = { 501, "5.5.4", "Syntax: %s" },
	[REPLY_BAD_SENDER]      = { 501, "5.1.7", "Bad sender address syntax" },
	[REPLY_BAD_RECIPIENT]   = { 501, "5.1.3", "Bad recipient address syntax" },
	[REPLY_NOT_IMPLEMENTED] = { 502, "5.5.1", "Command not implemented" },
	[REPLY_PARAM_UNKNOWN]   = { 555, "5.5.4", "Parameter not recognized: %s" },
	[REPLY_BDAT_SYNTAX]     = { 501, "5.5.4", "Syntax: BDAT size [LAST]" },
	[REPLY_BDAT_UNREADABLE] = { 501, "5.5.4", "Syntax: BDAT size [LAST]; the chunk's end is unknown, closing connection" },
	[REPLY_NEED_HELO]       = { 503, "5.5.1", "Send HELO or EHLO first" },
	[REPLY_NESTED_MAIL]     = { 503, "5.5.1", "Sender already given" },
	[REPLY_NEED_MAIL]       = { 503, "5.5.1", "Need MAIL before RCPT" },
	[REPLY_NEED_RCPT]       = { 503, "5.5.1", "Need RCPT before DATA" },
	[REPLY_CHUNKS_PENDING]  = { 503, "5.5.1", "BDAT transaction in progress: BDAT or RSET" },
	/* RFC 4954 section 6, RFC 3463's X.7 codes. */
	[REPLY_AUTH_OK]         = { 235, "2.7.0", "Authentication successful" },
	[REPLY_AUTH_FAILED]     = { 535, "5.7.8", "Authentication credentials invalid" },
	[REPLY_AUTH_TOO_MANY]   = { 421, "4.7.0", "%s Too many failed authentications, closing connection" },
	[REPLY_AUTH_CANCELLED]  = { 501, "5.7.0", "Authentication cancelled" },
	[REPLY_AUTH_MALFORMED]  = { 501, "5.5.2", "Cannot decode the SASL response" },
	[REPLY_AUTH_TOO_LONG]   = { 500, "5.5.6", "Authentication exchange line is too long (" LIMIT_TEXT(SASL_RESPONSE_MAX) " octets at most)" },
	[REPLY_AUTH_UNKNOWN_MECHANISM] = { 504, "5.5.4", "Unrecognized authentication type" },
	[REPLY_AUTH_NEEDS_TLS]  = { 538, "5.7.11", "Encryption required for requested authentication mechanism" },
	[REPLY_AUTH_TWICE]      = { 503, "5.5.1", "Already authenticated" },
	[REPLY_AUTH_IN_TRANSACTION] = { 503, "5.5.1", "AUTH not allowed during a mail transaction" },
	[REPLY_AUTH_NEED_EHLO]  = { 503, "5.5.1", "Send EHLO first" },
	[REPLY_AUTH_REQUIRED]   = { 530, "5.7.0", "Authentication required" },
	[REPLY_AUTH_TEMPORARY]  = { 454, "4.7.0", "Temporary authentication failure" },
	[REPLY_NO_SUCH_USER]    = { 550, "5.1.1", "No such user" },
	[REPLY_MAILBOX_UNAVAILABLE] = { 450, "4.2.1", "Mailbox unavailable, try again later" },
	[REPLY_TOO_MANY_RCPT]   = { 452, "4.5.3", "Too many recipients" },
	[REPLY_TOO_BIG]         = { 552, "5.3.4", "Message size exceeds fixed maximum message size" },
	[REPLY_MAILBOX_BUSY]    = { 451, "4.2.0", "Mailbox busy, try again later" },
	[REPLY_NEED_SMTPUTF8]   = { 553, "5.6.7", "Non-ASCII address needs SMTPUTF8" },
	[REPLY_LOOP]            = { 554, "5.4.6", "Mail loop detected" },
	[REPLY_LOCAL_ERROR]     = { 451, "4.3.0", "Local error in processing, try again later" },
	[REPLY_NO_SPACE]        = { 452, "4.3.1", "Insufficient system storage" },
	[REPLY_TIMEOUT]         = { 421, "4.4.2", "%s Timeout, closing connection" },
	[REPLY_TOO_MANY_ERRORS] = { 421, "4.7.0", "%s Too many errors, closing connection" },
	[REPLY_UNAVAILABLE]     = { 421, "4.3.0", "%s Service not available, closing connection" },
};

enum status reply(struct smtp_session *s, enum reply r, ...)
{
	const struct reply_text *t = &replies[r];
	struct writer *out = &s->session.out;
	char text[600];
	va_list ap;
	va_start(ap, r);
	vsnprintf(text, sizeof text, t->text, ap);
	va_end(ap);
	if (s->esmtp && t->enhanced)
		writer_printf(out, "%d %s %s\r\n", t->code, t->enhanced, text);
	else
		writer_printf(out, "%d %s\r\n", t->code, text);
	return t->code >= 500 && t->code <= 503 ? STATUS_REPLIED_ERROR :
	       STATUS_REPLIED;
}

/* A command out of its place is told what it lacks.  The states follow
 * each other START, READY, MAIL, RCPT: a command whose first allowed state
 * is behind the session's came too late, inside a transaction; one whose
 * first state is ahead lacks the step into it.  Once BDAT has begun a
 * message (RFC 3030), only more chunks or RSET go on with it. */
static enum reply wrong_state(const struct smtp_session *s, unsigned allowed)
{
	unsigned first = allowed & -allowed;
	if (s->session.state == STATE_START)
		return REPLY_NEED_HELO;
	if (s->session.state == STATE_CHUNKS)
		return REPLY_CHUNKS_PENDING;
	if (first < s->session.state)
		return REPLY_NESTED_MAIL;
	return first == STATE_MAIL ? REPLY_NEED_MAIL : REPLY_NEED_RCPT;
}

enum status refuse_out_of_place(struct smtp_session *s, unsigned allowed)
{
	return reply(s, wrong_state(s, allowed));
}

void smtp_loop_reply(struct session *base, enum loop_reply r,
		     const struct command *c)
{
	struct smtp_session *s = smtp_session_of(base);
	const char *domain = base->settings.domain;
	switch (r) {
	case LOOP_OK:              reply(s, REPLY_OK); break;
	case LOOP_SYNTAX:          reply(s, REPLY_SYNTAX, "error in arguments"); break;
	case LOOP_LINE_TOO_LONG:   reply(s, REPLY_LINE_TOO_LONG); break;
	case LOOP_NUL:             reply(s, REPLY_NUL_BYTE); break;
	case LOOP_NOT_IMPLEMENTED: reply(s, REPLY_NOT_IMPLEMENTED); break;
	case LOOP_WRONG_STATE:     refuse_out_of_place(s, c->states); break;
	case LOOP_TIMEOUT:         reply(s, REPLY_TIMEOUT, domain); break;
	case LOOP_TOO_MANY_ERRORS: reply(s, REPLY_TOO_MANY_ERRORS, domain); break;
	case LOOP_UNAVAILABLE:     reply(s, REPLY_UNAVAILABLE, domain); break;
	}
}
