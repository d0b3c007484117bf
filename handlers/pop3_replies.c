/* pop3_replies: every line the POP3 handler sends, in one place. */
#include <stdarg.h>
#include <string.h>

#include "pop3.h"

/* printf formats; the numbered ones take the arguments listed in pop3.h. */
static const char *const replies[REPLY_COUNT] = {
	[OK_GREETING] = "+OK POP3 server ready",
	[OK_USER] = "+OK send PASS",
	[OK_DELETED] = "+OK message deleted",
	[OK_NOOP] = "+OK",
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
	[ERR_LINE_TOO_LONG] = "-ERR line too long (255 octets at most)",
	[ERR_NUL] = "-ERR NUL byte in command",
	[ERR_TOO_MANY_ERRORS] = "-ERR too many errors, closing",
	[ERR_TIMEOUT] = "-ERR autologout: idle for too long",
	[ERR_READ_FAILED] = "-ERR [SYS/TEMP] cannot read the maildrop",
	[ERR_UNAVAILABLE] = "-ERR [SYS/TEMP] service not available, "
			    "try again later",
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

bool reply_is_client_error(enum pop3_reply r)
{
	switch (r) {
	case ERR_UNKNOWN_COMMAND:
	case ERR_WRONG_STATE:
	case ERR_SYNTAX:
	case ERR_USER_FIRST:
	case ERR_LINE_TOO_LONG:
	case ERR_NUL:
		return true;
	default:
		return false;
	}
}

void reply_send(struct pop3_session *s, enum pop3_reply r, ...)
{
	if (strchr(replies[r], '%')) {
		va_list ap;
		va_start(ap, r);
		writer_vprintf(&s->out, replies[r], ap);
		va_end(ap);
	} else {
		/* No formatting for the "." after every RETR. */
		writer_puts(&s->out, replies[r]);
	}
	writer_put(&s->out, "\r\n", 2);
}
