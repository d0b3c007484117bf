/* session: the command loop both handlers run, in the shape of qmail's
 * commands() and popa3d's do_pop_trans: read a bounded line, find its verb
 * in the protocol's table, check the state, call the handler, count the
 * error budget, and flush replies only before the next blocking read.
 *
 * A protocol's session struct starts with a struct session, so the loop
 * sees the part both protocols share and a handler casts back to its own
 * (smtp_session_of(), pop3_session_of()). */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "lineio.h"
#include "peer.h"

/* What a command handler returns.  The first four go on with the session;
 * the rest end it, and the handler's one end switch acts on them. */
enum status {
	STATUS_OK,              /* success: the loop sends the plain OK */
	STATUS_SYNTAX,          /* bad arguments: the loop sends the syntax
				 * error, which counts against the budget */
	STATUS_REPLIED,         /* the handler sent its own reply */
	STATUS_REPLIED_ERROR,   /* the handler refused a malformed or
				 * misplaced command itself: counts too */
	STATUS_QUIT,            /* QUIT, answered */
	STATUS_GONE,            /* the client went away (EOF, read or write
				 * error) */
	STATUS_TIMEOUT,         /* nothing arrived for the idle timeout */
	STATUS_TOO_MANY_ERRORS, /* the error budget or the login failures ran
				 * out (the reply saying so is sent) */
	STATUS_FAILURE,         /* the server cannot go on (a reply cut short
				 * by a read error of the maildrop) */
};

struct session;
typedef enum status (*command_handler)(struct session *s, char *args);

/* Table entry flags. */
enum {
	COMMAND_ALIAS = 1,       /* another spelling of a listed verb: not in
				  * HELP */
	COMMAND_NOT_OFFERED = 2, /* known, not implemented here: the loop
				  * answers "not implemented" */
	COMMAND_ANNOUNCED = 4,   /* its verb is a capability (EHLO, CAPA) */
};

struct command {
	const char *verb;       /* NULL: the unknown-verb entry, last */
	unsigned states;        /* bits of the states it is allowed in */
	command_handler handler;
	unsigned flags;
};

/* The replies the loop sends itself, each protocol in its own words. */
enum loop_reply {
	LOOP_OK,
	LOOP_SYNTAX,
	LOOP_LINE_TOO_LONG,
	LOOP_NUL,
	LOOP_NOT_IMPLEMENTED,
	LOOP_WRONG_STATE,       /* the command is not allowed in this state */
	LOOP_TIMEOUT,
	LOOP_TOO_MANY_ERRORS,
	LOOP_UNAVAILABLE,       /* the session cannot start (the mail root) */
};

struct protocol {
	const char *name;       /* "smtp", "pop3": in recordings' names */
	size_t line_max;        /* longest command line in octets, its CR LF
				 * or LF included */
	const struct command *commands;
	/* Send the protocol's reply for r (c: the command refused, for
	 * LOOP_WRONG_STATE). */
	void (*loop_reply)(struct session *s, enum loop_reply r,
			   const struct command *c);
	/* Called after each command that does not end the session; may be
	 * NULL. */
	void (*after_command)(struct session *s);
};

struct session {
	struct settings settings;
	char peer[PEER_TEXT_MAX];
	struct line_reader in;
	struct writer out;
	unsigned state;         /* one bit of the protocol's states */
	unsigned errors;        /* replies that counted against the budget */
	bool tls;               /* the client's connection is encrypted:
				 * MAIL_TLS, or a PROXY v2 header saying so */
};

/* Everything a session needs before its greeting: the settings from the
 * environment and argv, the mail root, the reader and the writer, the
 * peer and its PROXY header.  Returns 0, or the exit status of a session
 * that cannot start: EXIT_BAD_SETTING, or EXIT_UNAVAILABLE (the mail root
 * cannot be entered, and the client has been told; or the PROXY header
 * is missing or untrusted). */
int session_start(struct session *s, const struct protocol *p, int argc,
		  char **argv, const char *program, int default_timeout_seconds);

/* May this session offer the mechanisms that carry a password in the
 * clear (MAIL_PLAINTEXT_AUTH)? */
bool session_plaintext_auth_allowed(const struct session *s);

/* Read and run commands until one of them, or the loop itself, ends the
 * session; returns how it ended (a status from STATUS_QUIT on). */
enum status session_run(struct session *s, const struct protocol *p);

#endif
