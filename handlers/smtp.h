/* smtp-handler: one SMTP session on stdin/stdout (RFC 5321).
 *
 *   smtp_main.c      main and the signals
 *   smtp.c           the session: start, the command loop, its one end
 *   smtp_commands.c  the command table, EHLO and HELP built from it, and
 *                    the commands that fit on one line
 *   smtp_auth.c      AUTH (RFC 4954)
 *   smtp_data.c      DATA and BDAT: receive, spool, deliver; the
 *                    transaction reset
 *   smtp_replies.c   every reply text */
#ifndef SMTP_H
#define SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "aliases.h"
#include "mail_limits.h"
#include "session.h"

/* Session states, as bits so a command can list where it is allowed. */
enum smtp_state {
	STATE_START = 1,        /* no HELO/EHLO yet */
	STATE_READY = 2,        /* greeted, no transaction */
	STATE_MAIL = 4,         /* MAIL FROM given */
	STATE_RCPT = 8,         /* at least one recipient accepted */
	STATE_CHUNKS = 16,      /* BDAT chunks received, the LAST one not yet */
};
#define STATE_ANY (STATE_START | STATE_READY | STATE_MAIL | STATE_RCPT | \
		   STATE_CHUNKS)

/* A mailbox the message goes to; each is in the list once, however many
 * recipient addresses and aliases lead to it. */
struct recipient {
	char user[USER_NAME_MAX + 1];
};

struct receipt;

struct smtp_session {
	struct session session;         /* first: what the command loop sees */
	bool esmtp;                     /* greeted with EHLO: enhanced codes */
	char helo[SMTP_PATH_MAX + 1];
	char sender[SMTP_PATH_MAX + 1];
	bool smtputf8;                  /* MAIL asked for SMTPUTF8 (RFC 6531) */
	size_t n_addresses;             /* recipient addresses accepted */
	struct recipient *rcpt;
	size_t n_rcpt, rcpt_capacity;
	struct aliases aliases;         /* loaded at the first RCPT */
	struct receipt *chunks;         /* the message BDAT is receiving */
	char auth_user[USER_NAME_MAX + 1]; /* who AUTH proved, "" if none */
	int auth_failures;
};

static inline struct smtp_session *smtp_session_of(struct session *s)
{
	return (struct smtp_session *)s;
}

/* Every reply the handler sends; the texts live in smtp_replies.c. */
enum reply {
	REPLY_GREETING, REPLY_CLOSING, REPLY_HELO, REPLY_OK, REPLY_SENDER_OK, REPLY_RECIPIENT_OK,
	REPLY_START_DATA, REPLY_ACCEPTED, REPLY_CHUNK_RECEIVED, REPLY_VRFY, REPLY_HELP,
	REPLY_UNRECOGNIZED, REPLY_LINE_TOO_LONG, REPLY_NUL_BYTE, REPLY_SYNTAX,
	REPLY_BAD_SENDER, REPLY_BAD_RECIPIENT, REPLY_NOT_IMPLEMENTED, REPLY_PARAM_UNKNOWN,
	REPLY_BDAT_SYNTAX, REPLY_BDAT_UNREADABLE,
	REPLY_NEED_HELO, REPLY_NESTED_MAIL, REPLY_NEED_MAIL, REPLY_NEED_RCPT,
	REPLY_CHUNKS_PENDING,
	REPLY_AUTH_OK, REPLY_AUTH_FAILED, REPLY_AUTH_TOO_MANY, REPLY_AUTH_CANCELLED,
	REPLY_AUTH_MALFORMED, REPLY_AUTH_TOO_LONG, REPLY_AUTH_UNKNOWN_MECHANISM,
	REPLY_AUTH_NEEDS_TLS, REPLY_AUTH_TWICE, REPLY_AUTH_IN_TRANSACTION,
	REPLY_AUTH_NEED_EHLO, REPLY_AUTH_REQUIRED, REPLY_AUTH_TEMPORARY,
	REPLY_NO_SUCH_USER, REPLY_MAILBOX_UNAVAILABLE, REPLY_TOO_MANY_RCPT, REPLY_TOO_BIG, REPLY_MAILBOX_BUSY,
	REPLY_NEED_SMTPUTF8, REPLY_LOOP,
	REPLY_LOCAL_ERROR, REPLY_NO_SPACE, REPLY_TIMEOUT, REPLY_TOO_MANY_ERRORS, REPLY_UNAVAILABLE,
	REPLY_COUNT
};

/* Send a reply; text arguments fill the %s in its text, in order.
 * Returns STATUS_REPLIED_ERROR for the replies that refuse a malformed,
 * unknown or misplaced command (500 to 503), which count against the
 * error budget, else STATUS_REPLIED. */
enum status reply(struct smtp_session *s, enum reply r, ...);

/* The reply to a command that is not allowed in the session's state
 * (one of the 503s): what the session lacks for the states allowed. */
enum status refuse_out_of_place(struct smtp_session *s, unsigned allowed);

/* The replies the command loop sends itself. */
void smtp_loop_reply(struct session *s, enum loop_reply r,
		     const struct command *c);

/* The command table and the loop's view of the protocol. */
extern const struct protocol smtp_protocol;

/* The handler: settings from the environment and argv, then one session
 * on fd 0 and fd 1, into s (zeroed).  Returns the exit status. */
int smtp_handler(struct smtp_session *s, int argc, char **argv);

/* AUTH: the SASL exchange and its final reply.  args: what follows the
 * verb. */
enum status smtp_auth(struct smtp_session *s, char *args);

/* DATA: receive the message and deliver it; sends the final reply. */
enum status smtp_data(struct smtp_session *s);
/* BDAT (RFC 3030): read one chunk of the message and answer it; the
 * LAST one delivers as DATA does.  args: what follows the verb. */
enum status smtp_bdat(struct smtp_session *s, char *args);
/* Forget the sender, the recipients and any chunks received (RSET, HELO,
 * after DATA or the LAST chunk, the session's end). */
void smtp_transaction_reset(struct smtp_session *s);

#endif
