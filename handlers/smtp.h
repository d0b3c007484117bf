/* smtp-handler: one SMTP session on stdin/stdout (RFC 5321). */
#ifndef SMTP_H
#define SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "limits.h"
#include "lineio.h"
#include "peer.h"
#include "users.h"

/* Session states, as bits so a command can list where it is allowed. */
enum smtp_state {
	STATE_START = 1,        /* no HELO/EHLO yet */
	STATE_READY = 2,        /* greeted, no transaction */
	STATE_MAIL = 4,         /* MAIL FROM given */
	STATE_RCPT = 8,         /* at least one recipient accepted */
};
#define STATE_ANY (STATE_START | STATE_READY | STATE_MAIL | STATE_RCPT)

struct recipient {
	char user[USER_NAME_MAX + 1];
	char address[SMTP_PATH_MAX + 1];
};

struct session {
	const struct settings *cfg;
	char peer[PEER_TEXT_MAX];
	struct line_reader in;
	struct writer out;
	enum smtp_state state;
	bool esmtp;             /* greeted with EHLO: enhanced status codes */
	bool done;              /* QUIT, timeout, or too many errors */
	unsigned errors;
	char helo[SMTP_PATH_MAX + 1];
	char sender[SMTP_PATH_MAX + 1];
	struct recipient *rcpt;
	size_t n_rcpt, rcpt_capacity;
};

/* Every reply the handler sends; the texts live in smtp_reply.c. */
enum reply {
	REPLY_GREETING, REPLY_CLOSING, REPLY_HELO, REPLY_OK, REPLY_SENDER_OK, REPLY_RECIPIENT_OK,
	REPLY_START_DATA, REPLY_ACCEPTED, REPLY_VRFY, REPLY_HELP,
	REPLY_UNRECOGNIZED, REPLY_LINE_TOO_LONG, REPLY_NUL_BYTE, REPLY_SYNTAX,
	REPLY_BAD_SENDER, REPLY_BAD_RECIPIENT, REPLY_NOT_IMPLEMENTED, REPLY_PARAM_UNKNOWN,
	REPLY_NEED_HELO, REPLY_NESTED_MAIL, REPLY_NEED_MAIL, REPLY_NEED_RCPT,
	REPLY_NO_SUCH_USER, REPLY_MAILBOX_UNAVAILABLE, REPLY_TOO_MANY_RCPT, REPLY_TOO_BIG, REPLY_MAILBOX_BUSY,
	REPLY_LOCAL_ERROR, REPLY_NO_SPACE, REPLY_TIMEOUT, REPLY_TOO_MANY_ERRORS, REPLY_UNAVAILABLE,
	REPLY_COUNT
};

/* Send a reply; text arguments fill the %s in its text, in order. */
void reply(struct session *s, enum reply r, ...);

/* Run one command line (NUL-free, without its line ending). */
void smtp_dispatch(struct session *s, char *line, size_t len);

/* The handler: settings from the environment and argv, then one session
 * on fd 0 and fd 1, into s (zeroed).  Returns the exit status. */
int smtp_handler(struct session *s, int argc, char **argv);

/* DATA: receive the message and deliver it; sends the final reply. */
void smtp_data(struct session *s);
void session_reset_transaction(struct session *s);

#endif
