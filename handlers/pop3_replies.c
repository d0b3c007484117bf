/* pop3_replies: every line the POP3 handler sends, in one place. */
#include <stdarg.h>
#include <string.h>

#include "pop3.h"

/* printf formats; the numbered ones take the arguments listed in pop3.h. */
static const char *const replies[REPLY_COUNT] = {
	[OK_GREETING] = "+OK POP3 server ready",
	[OK_USER] = "+OK send PASS",
	[OK_DELETED] = "+OK message deleted",
	[OK_PLAIN] = "+OK",
	[OK_BYE] = "+OK Thanks for using POP3 server",
	[ERR_UNKNOWN_COMMAND] = "-ERR unknown command",
	[ERR_WRONG_STATE] = "-ERR command not valid in this state",
	[ERR_SYNTAX] = "-ERR syntax error in arguments",
	[ERR_NO_SUCH_MESSAGE] = "-ERR no such message",
	[ERR_MESSAGE_DELETED] = "-ERR message already deleted",
	[ERR_USER_FIRST] = "-ERR give USER first",
	[ERR_AUTH_FAILED] = "-ERR [AUTH] invalid user name or password",
	[ERR_TOO_MANY_FAILURES] = "-ERR [AUTH] too many failed logins, closing",
	[ERR_IN_USE] = "-ERR [IN-USE] maildrop already locked",
	[ERR_MAILDROP] = "-ERR [SYS/TEMP] cannot open the maildrop, try again later",
	[ERR_UPDATE_FAILED] = "-ERR [SYS/TEMP] cannot update the maildrop, "
			      "no message was removed",
	[ERR_LINE_TOO_LONG] = "-ERR line too long (" LIMIT_TEXT(POP3_LINE_MAX) " octets at most)",
	[ERR_NUL] = "-ERR NUL byte in command",
	[ERR_TOO_MANY_ERRORS] = "-ERR too many errors, closing",
	[ERR_TIMEOUT] = "-ERR autologout: idle for too long",
	[ERR_READ_FAILED] = "-ERR [SYS/TEMP] cannot read the maildrop",
	[ERR_UNAVAILABLE] = "-ERR [SYS/TEMP] service not available, "
			    "try again later",
	[ERR_UNKNOWN_MECHANISM] = "-ERR [AUTH] unknown SASL mechanism",
	[ERR_NEEDS_TLS] = "-ERR [AUTH] plaintext authentication needs a TLS "
			  "connection here",
	[ERR_AUTH_CANCELLED] = "-ERR authentication cancelled",
	[ERR_AUTH_MALFORMED] = "-ERR malformed SASL response",
	[ERR_AUTH_TOO_LONG] = "-ERR SASL response too long (" LIMIT_TEXT(SASL_RESPONSE_MAX) " octets at most)",
	[OK_MECHANISMS] = "+OK SASL mechanisms follow",
	[OK_LOGGED_IN] = "+OK maildrop has %zu messages (%llu octets)",
	[OK_STAT] = "+OK %zu %llu",
	[OK_LIST_ONE] = "+OK %zu %llu",
	[OK_UIDL_ONE] = "+OK %zu %s",
	[OK_LIST_ALL] = "+OK %zu messages (%llu octets)",
	[OK_UIDL_ALL] = "+OK unique-id listing follows",
	[OK_CAPA] = "+OK capability list follows",
	[OK_RETR] = "+OK %llu octets",
	[OK_TOP] = "+OK top of message follows",
	[OK_RESET] = "+OK maildrop has %zu messages (%llu octets)",
	[LINE_SCAN] = "%zu %llu",
	[LINE_UIDL] = "%zu %s",
	[LINE_END] = ".",
};

/* The answers to malformed, unknown or misplaced commands. */
static bool refuses_client_error(enum reply r)
{
	switch (r) {
	case ERR_UNKNOWN_COMMAND:
	case ERR_WRONG_STATE:
	case ERR_SYNTAX:
	case ERR_USER_FIRST:
	case ERR_LINE_TOO_LONG:
	case ERR_NUL:
	case ERR_AUTH_CANCELLED:
	case ERR_AUTH_MALFORMED:
	case ERR_AUTH_TOO_LONG:
		return true;
	default:
		return false;
	}
}

enum status reply(struct pop3_session *s, enum reply r, ...)
{
	struct writer *out = &s->session.out;
	if (strchr(replies[r], '%')) {
		va_list ap;
		va_start(ap, r);
		writer_vprintf(out, replies[r], ap);
		va_end(ap);
	} else {
		/* No formatting for the "." after every RETR. */
		writer_puts(out, replies[r]);
	}
	writer_put(out, "\r\n", 2);
	return refuses_client_error(r) ? STATUS_REPLIED_ERROR : STATUS_REPLIED;
}

void pop3_loop_reply(struct session *base, enum loop_reply r,
		     const struct command *c)
{
	static const enum reply words[] = {
		[LOOP_OK] = OK_PLAIN,
		[LOOP_SYNTAX] = ERR_SYNTAX,
		[LOOP_LINE_TOO_LONG] = ERR_LINE_TOO_LONG,
		[LOOP_NUL] = ERR_NUL,
		[LOOP_NOT_IMPLEMENTED] = ERR_UNKNOWN_COMMAND,
		[LOOP_WRONG_STATE] = ERR_WRONG_STATE,
		[LOOP_TIMEOUT] = ERR_TIMEOUT,
		[LOOP_TOO_MANY_ERRORS] = ERR_TOO_MANY_ERRORS,
		[LOOP_UNAVAILABLE] = ERR_UNAVAILABLE,
	};
	(void)c;
	reply(pop3_session_of(base), words[r]);
}
