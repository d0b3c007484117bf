/* pop3-handler: one POP3 session (RFC 1939, RFC 2449 CAPA) on stdin/stdout.
 *
 *   pop3_main.c      main and the signals
 *   pop3.c           settings and the command loop
 *   pop3_commands.c  the command table, CAPA, and each command's handler
 *   pop3_replies.c   every reply text
 *   pop3_retrieve.c  RETR and TOP: streaming a stored message
 * The maildrop itself: common/mailbox_index.c takes the session's snapshot,
 * common/maildrop_update.c is the UPDATE state. */
#ifndef POP3_H
#define POP3_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "limits.h"
#include "lineio.h"
#include "lock.h"
#include "mailbox_index.h"
#include "peer.h"
#include "users.h"


enum pop3_state {
	STATE_AUTHORIZATION = 1,
	STATE_TRANSACTION = 2,
};

/* What a command handler answers; the texts are in pop3_replies.c. */
enum pop3_reply {
	REPLY_SENT,             /* the handler already sent its reply */
	OK_GREETING,
	OK_USER,
	OK_DELETED,
	OK_NOOP,
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
	/* Replies with numbers, sent by reply_send(). */
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

/* The last piece of the maildrop RETR/TOP read, kept for the next message
 * (see pop3_retrieve.c).  All zero is empty. */
#define POP3_READ_WINDOW 32768
struct read_window {
	off_t at;
	size_t len;
	char bytes[POP3_READ_WINDOW];
};

struct pop3_session {
	const struct settings *settings;
	char peer[PEER_TEXT_MAX];
	enum pop3_state state;
	struct writer out;
	struct line_reader in;
	char user[USER_NAME_MAX + 1];   /* given by USER, "" if none */
	bool user_given;
	int auth_failures;
	bool quit;                      /* end the session after this reply */
	/* TRANSACTION state */
	char maildrop_lock[LOCK_PATH_MAX];
	time_t lock_touched;            /* when it was made or last touched */
	int mailbox_fd;
	struct mailbox_index index;
	unsigned char *deleted;         /* bitmap, one bit per message */
	size_t deleted_count;
	unsigned long long deleted_size;
	/* What the session sent, logged once when it ends (a line per
	 * message would be a line per message of a 100,000-message drop). */
	size_t retrieved, tops;
	unsigned long long retrieved_size;
	bool update_failed;             /* QUIT could not remove the messages */
	struct read_window window;
};

/* Run one command line (without its line ending); returns the reply sent. */
enum pop3_reply pop3_dispatch(struct pop3_session *s, char *line, size_t len);
/* Send one reply; numbered replies take their numbers as arguments. */
void reply_send(struct pop3_session *s, enum pop3_reply r, ...);
/* Does the reply count against the session's error budget?  Only the
 * answers to malformed, unknown or misplaced commands do (SMTP's 500-503);
 * a well-formed request refused (no such message, maildrop in use) does
 * not, and failed logins have their own limit. */
bool reply_is_client_error(enum pop3_reply r);

/* RETR and TOP: stream message i (0-based); body_lines < 0: all of it.
 * False if reading the mailbox failed (the reply is then cut short). */
bool pop3_send_message(struct pop3_session *s, size_t i, long long body_lines);

/* The handler: settings from the environment and argv, then one session
 * on fd 0 and fd 1, into s (zeroed).  Returns the exit status, or leaves
 * through pop3_abort(). */
int pop3_handler(struct pop3_session *s, int argc, char **argv);

/* Leave the session at once, releasing its locks, without UPDATE.
 * Async-signal-safe. */
_Noreturn void pop3_abort(int status);
/* The same from the session's own code: log what the session did (how it
 * ended: "connection dropped"...), release the locks, flush the replies. */
_Noreturn void pop3_end(struct pop3_session *s, const char *how, int status);

#endif
