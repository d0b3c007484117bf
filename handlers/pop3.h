/* pop3-handler: one POP3 session (RFC 1939, RFC 2449 CAPA) on stdin/stdout.
 *
 *   pop3_main.c      main and the signals
 *   pop3.c           the session: start, the command loop, its one end
 *   pop3_commands.c  the command table, CAPA built from it, and each
 *                    command's argument parsing and reply
 *   pop3_retrieve.c  RETR and TOP: a stored message as the client gets it
 *   pop3_replies.c   every reply text
 * The maildrop itself (lock, snapshot, deletions, update) is
 * common/maildrop.c. */
#ifndef POP3_H
#define POP3_H

#include <stdbool.h>
#include <stddef.h>

#include "maildrop.h"
#include "mail_limits.h"
#include "session.h"

enum pop3_state {
	STATE_AUTHORIZATION = 1,
	STATE_TRANSACTION = 2,
};

struct pop3_session {
	struct session session;         /* first: what the command loop sees */
	char user[USER_NAME_MAX + 1];   /* given by USER, "" if none */
	bool user_given;
	int auth_failures;
	bool update_failed;             /* QUIT could not remove the messages */
	/* What the session sent, logged once when it ends (a line per
	 * message would be a line per message of a 100,000-message drop). */
	size_t retrieved, tops;
	unsigned long long retrieved_size;
	struct maildrop maildrop;       /* open in TRANSACTION; large, last */
};

static inline struct pop3_session *pop3_session_of(struct session *s)
{
	return (struct pop3_session *)s;
}

/* Every reply; the texts are in pop3_replies.c. */
enum reply {
	OK_GREETING,
	OK_PLAIN,
	OK_USER,
	OK_DELETED,
	OK_BYE,
	ERR_UNKNOWN_COMMAND,
	ERR_WRONG_STATE,
	ERR_SYNTAX,
	ERR_NO_SUCH_MESSAGE,
	ERR_MESSAGE_DELETED,
	ERR_USER_FIRST,
	ERR_AUTH_FAILED,
	ERR_TOO_MANY_FAILURES,
	ERR_IN_USE,
	ERR_MAILDROP,
	ERR_UPDATE_FAILED,
	ERR_LINE_TOO_LONG,
	ERR_NUL,
	ERR_TOO_MANY_ERRORS,
	ERR_TIMEOUT,
	ERR_READ_FAILED,
	ERR_UNAVAILABLE,
	ERR_UNKNOWN_MECHANISM,
	ERR_NEEDS_TLS,
	ERR_AUTH_CANCELLED,
	ERR_AUTH_MALFORMED,
	ERR_AUTH_TOO_LONG,
	OK_MECHANISMS,
	/* Replies with numbers. */
	OK_LOGGED_IN,           /* count, octets */
	OK_STAT,                /* count, octets */
	OK_LIST_ONE,            /* number, octets */
	OK_UIDL_ONE,            /* number, id */
	OK_LIST_ALL,            /* count, octets */
	OK_UIDL_ALL,
	OK_CAPA,
	OK_RETR,                /* octets */
	OK_TOP,
	OK_RESET,               /* count, octets */
	LINE_SCAN,              /* number, octets: one line of LIST */
	LINE_UIDL,              /* number, id: one line of UIDL */
	LINE_END,               /* "." ending a multi-line reply */
	REPLY_COUNT
};

/* Send one reply; numbered replies take their numbers as arguments
 * (size_t, then unsigned long long or a string).  Returns
 * STATUS_REPLIED_ERROR for the answers to malformed, unknown or misplaced
 * commands, which count against the error budget (a well-formed request
 * refused, such as no such message, does not; failed logins have their
 * own limit), else STATUS_REPLIED. */
enum status reply(struct pop3_session *s, enum reply r, ...);

/* The replies the command loop sends itself. */
void pop3_loop_reply(struct session *s, enum loop_reply r,
		     const struct command *c);

/* The command table and the loop's view of the protocol. */
extern const struct protocol pop3_protocol;

/* RETR and TOP: send message i (0-based) as the client gets it, then the
 * "." line; body_lines < 0: all of it.  False if reading the maildrop
 * failed (the reply is then cut short). */
bool pop3_send_message(struct pop3_session *s, size_t i, long long body_lines);

/* The handler: settings from the environment and argv, then one session
 * on fd 0 and fd 1, into s (zeroed).  Returns the exit status. */
int pop3_handler(struct pop3_session *s, int argc, char **argv);

#endif
