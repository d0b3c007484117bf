/* pop3_commands: the command table, CAPA built from it, and each
 * command's argument parsing and reply; the maildrop keeps the books. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "log.h"
#include "number.h"
#include "pop3.h"
#include "sasl.h"
#include "users.h"

#define STATE_ANY (STATE_AUTHORIZATION | STATE_TRANSACTION)

/* ---- arguments ---- */

/* Next space-separated word of *p, NUL-terminated; "" at the end. */
static char *next_word(char **p)
{
	char *w = *p;
	while (*w == ' ')
		w++;
	char *e = w;
	while (*e && *e != ' ')
		e++;
	*p = *e ? e + 1 : e;
	*e = '\0';
	return w;
}

static bool no_more_args(char *args)
{
	return *next_word(&args) == '\0';
}

/* The message-number word: STATUS_OK and a live message's 0-based index
 * in *i, or the refusal sent. */
static enum status message_number(struct pop3_session *s, const char *w,
				  size_t *i)
{
	unsigned long long n;
	if (!parse_uint_saturating(w, &n))
		return reply(s, ERR_SYNTAX);
	if (n < 1 || n > maildrop_total(&s->maildrop))
		return reply(s, ERR_NO_SUCH_MESSAGE);
	*i = (size_t)(n - 1);
	if (maildrop_is_deleted(&s->maildrop, *i))
		return reply(s, ERR_MESSAGE_DELETED);
	return STATUS_OK;
}

/* A command taking exactly one message number. */
static enum status one_message(struct pop3_session *s, char *args, size_t *i)
{
	char *w = next_word(&args);
	if (!no_more_args(args))
		return reply(s, ERR_SYNTAX);
	return message_number(s, w, i);
}

/* ---- AUTHORIZATION ---- */

static enum status cmd_user(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	char *name = next_word(&args);
	if (!*name || !no_more_args(args))
		return STATUS_SYNTAX;
	/* Unknown and impossible names get the same +OK as real ones; PASS
	 * then fails alike, so USER tells nobody which users exist. */
	size_t len = strlen(name);
	s->user_given = true;
	s->user[0] = '\0';
	if (username_valid(name, len))
		memcpy(s->user, name, len + 1);
	return reply(s, OK_USER);
}

/* Lock and index the maildrop; TRANSACTION begins. */
static enum status log_in(struct pop3_session *s, const char *how)
{
	const struct settings *settings = &s->session.settings;
	const struct store_locking locking = {
		settings->lock_wait_ms, settings->lock_stale_seconds };
	switch (maildrop_open(&s->maildrop, s->user, &locking)) {
	case MAILDROP_OK:
		break;
	case MAILDROP_IN_USE:
		return reply(s, ERR_IN_USE);
	case MAILDROP_FAILED:
		return reply(s, ERR_MAILDROP);
	}
	s->session.state = STATE_TRANSACTION;
	log_msg(LOG_INFO, "%s logged in from %s: %zu messages, %llu octets "
		"(%s)", s->user, s->session.peer, maildrop_count(&s->maildrop),
		(unsigned long long)maildrop_size(&s->maildrop), how);
	return reply(s, OK_LOGGED_IN, maildrop_count(&s->maildrop),
		     (unsigned long long)maildrop_size(&s->maildrop));
}

/* The answer to a login's credentials, PASS's or AUTH's: the maildrop
 * opened, or the failure counted, paused for and refused. */
static enum status check_login(struct pop3_session *s, const char *how,
			       const char *typed)
{
	switch (login_attempt(s->user, typed, how, s->session.peer,
			      s->session.settings.auth_delay_ms)) {
	case LOGIN_OK:
		return log_in(s, how);
	case LOGIN_FILE_ERROR:
		return reply(s, ERR_MAILDROP);
	case LOGIN_WRONG_PASSWORD:
	case LOGIN_NO_SUCH_USER:
		break;
	}
	if (login_failures_left(&s->auth_failures))
		return reply(s, ERR_AUTH_FAILED);
	reply(s, ERR_TOO_MANY_FAILURES);
	return STATUS_TOO_MANY_ERRORS;
}

static enum status cmd_pass(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	if (!s->user_given)
		return reply(s, ERR_USER_FIRST);
	s->user_given = false;          /* a failed PASS needs a new USER */
	/* The password is the rest of the line: it may hold spaces. */
	enum status r = check_login(s, "PASS", args);
	explicit_bzero(args, strlen(args));
	return r;
}

/* RFC 5034: AUTH mechanism [initial-response].  A bare AUTH lists the
 * mechanisms, as RFC 1734's servers did and some clients still ask. */
static enum status cmd_auth(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	char *name = next_word(&args);
	char *initial = next_word(&args);
	if (!no_more_args(args))
		return STATUS_SYNTAX;
	bool allowed = session_plaintext_auth_allowed(base);
	if (!*name) {
		reply(s, OK_MECHANISMS);
		if (allowed)
			sasl_list_mechanisms(&base->out, "", "\r\n", "\r\n");
		return reply(s, LINE_END);
	}
	enum sasl_mechanism m = sasl_mechanism_named(name);
	if (m == SASL_UNKNOWN)
		return reply(s, ERR_UNKNOWN_MECHANISM);
	if (!allowed)
		return reply(s, ERR_NEEDS_TLS);
	s->user_given = false;
	static const enum reply refusals[] = {
		[SASL_CANCELLED] = ERR_AUTH_CANCELLED,
		[SASL_MALFORMED] = ERR_AUTH_MALFORMED,
		[SASL_TOO_LONG] = ERR_AUTH_TOO_LONG,
		[SASL_TIMEOUT] = ERR_TIMEOUT,
	};
	struct sasl_login login;
	enum sasl_result result = sasl_exchange(base, m, *initial ? initial :
						NULL, "+ ", &login);
	if (result == SASL_GONE)
		return STATUS_GONE;
	if (result != SASL_DONE) {
		enum status r = reply(s, refusals[result]);
		return result == SASL_TIMEOUT ? STATUS_TIMEOUT : r;
	}
	memcpy(s->user, login.user, sizeof s->user);
	enum status r = check_login(s, sasl_login_method(m), login.password);
	sasl_forget(&login);
	return r;
}

static enum status cmd_quit(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	(void)args;
	if (base->state == STATE_TRANSACTION) {
		s->update_failed = !maildrop_update(&s->maildrop);
		if (s->update_failed) {
			reply(s, ERR_UPDATE_FAILED);
			return STATUS_QUIT;
		}
	}
	reply(s, OK_BYE);
	return STATUS_QUIT;
}

/* ---- TRANSACTION ---- */

static enum status cmd_stat(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	if (!no_more_args(args))
		return STATUS_SYNTAX;
	return reply(s, OK_STAT, maildrop_count(&s->maildrop),
		     (unsigned long long)maildrop_size(&s->maildrop));
}

/* LIST and UIDL: one message's line, or every live message's; the line
 * of message i is its size, or (uidl) its unique id. */
static enum status list(struct pop3_session *s, char *args, bool uidl)
{
	struct maildrop *m = &s->maildrop;
	char id[MAILBOX_UIDL_LEN + 1];
	char *w = next_word(&args);
	if (!no_more_args(args))
		return STATUS_SYNTAX;
	if (*w) {
		size_t i;
		enum status r = message_number(s, w, &i);
		if (r != STATUS_OK)
			return r;
		if (!uidl)
			return reply(s, OK_LIST_ONE, i + 1, (unsigned long long)
				     maildrop_message_size(m, i));
		if (!maildrop_uidl(m, i, id))
			return reply(s, ERR_READ_FAILED);
		return reply(s, OK_UIDL_ONE, i + 1, id);
	}
	if (uidl)
		reply(s, OK_UIDL_ALL);
	else
		reply(s, OK_LIST_ALL, maildrop_count(m),
		      (unsigned long long)maildrop_size(m));
	for (size_t i = 0; i < maildrop_total(m) && !s->session.out.failed; i++) {
		if (maildrop_is_deleted(m, i))
			continue;
		if (!uidl)
			reply(s, LINE_SCAN, i + 1, (unsigned long long)
			      maildrop_message_size(m, i));
		else if (maildrop_uidl(m, i, id))
			reply(s, LINE_UIDL, i + 1, id);
		else
			return STATUS_FAILURE;  /* a listing cut short */
	}
	return reply(s, LINE_END);
}

static enum status cmd_list(struct session *base, char *args)
{
	return list(pop3_session_of(base), args, false);
}

static enum status cmd_uidl(struct session *base, char *args)
{
	return list(pop3_session_of(base), args, true);
}

/* RETR (body_lines < 0) and TOP. */
static enum status send_message(struct pop3_session *s, size_t i,
				long long body_lines)
{
	uint64_t size = maildrop_message_size(&s->maildrop, i);
	if (body_lines < 0)
		reply(s, OK_RETR, (unsigned long long)size);
	else
		reply(s, OK_TOP);
	if (!pop3_send_message(s, i, body_lines))
		return STATUS_FAILURE;          /* a message cut short */
	if (s->session.out.failed)
		return STATUS_GONE;             /* not sent: the client is gone */
	if (body_lines < 0) {
		s->retrieved++;
		s->retrieved_size += size;
	} else {
		s->tops++;
	}
	return STATUS_REPLIED;
}

static enum status cmd_retr(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	size_t i;
	enum status r = one_message(s, args, &i);
	return r != STATUS_OK ? r : send_message(s, i, -1);
}

static enum status cmd_top(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	size_t i;
	unsigned long long lines;
	char *number = next_word(&args);
	char *count = next_word(&args);
	if (!parse_uint_saturating(count, &lines) || !no_more_args(args))
		return STATUS_SYNTAX;
	enum status r = message_number(s, number, &i);
	if (r != STATUS_OK)
		return r;
	return send_message(s, i, lines > LLONG_MAX ? LLONG_MAX : (long long)lines);
}

static enum status cmd_dele(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	size_t i;
	enum status r = one_message(s, args, &i);
	if (r != STATUS_OK)
		return r;
	maildrop_delete(&s->maildrop, i);
	return reply(s, OK_DELETED);
}

static enum status cmd_noop(struct session *base, char *args)
{
	(void)base;
	return no_more_args(args) ? STATUS_OK : STATUS_SYNTAX;
}

static enum status cmd_rset(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	if (!no_more_args(args))
		return STATUS_SYNTAX;
	maildrop_undelete_all(&s->maildrop);
	return reply(s, OK_RESET, maildrop_count(&s->maildrop),
		     (unsigned long long)maildrop_size(&s->maildrop));
}

static enum status cmd_capa(struct session *base, char *args);

/* RFC 6856: the client may take UTF-8.  Messages are served as stored
 * (RFC 6532 headers included) whether it says so or not, so the command
 * only acknowledges. */
static enum status cmd_utf8(struct session *base, char *args)
{
	(void)base;
	return no_more_args(args) ? STATUS_OK : STATUS_SYNTAX;
}

static enum status cmd_unknown(struct session *base, char *args)
{
	(void)args;
	return reply(pop3_session_of(base), ERR_UNKNOWN_COMMAND);
}

static const struct command commands[] = {
	{ "USER", STATE_AUTHORIZATION, cmd_user, COMMAND_ANNOUNCED },
	{ "PASS", STATE_AUTHORIZATION, cmd_pass, 0 },
	{ "AUTH", STATE_AUTHORIZATION, cmd_auth, 0 },
	{ "CAPA", STATE_ANY, cmd_capa, 0 },
	{ "QUIT", STATE_ANY, cmd_quit, 0 },
	{ "STAT", STATE_TRANSACTION, cmd_stat, 0 },
	{ "LIST", STATE_TRANSACTION, cmd_list, 0 },
	{ "RETR", STATE_TRANSACTION, cmd_retr, 0 },
	{ "DELE", STATE_TRANSACTION, cmd_dele, 0 },
	{ "NOOP", STATE_TRANSACTION, cmd_noop, 0 },
	{ "RSET", STATE_TRANSACTION, cmd_rset, 0 },
	{ "TOP", STATE_TRANSACTION, cmd_top, COMMAND_ANNOUNCED },
	{ "UIDL", STATE_TRANSACTION, cmd_uidl, COMMAND_ANNOUNCED },
	{ "UTF8", STATE_AUTHORIZATION, cmd_utf8, COMMAND_ANNOUNCED },
	{ NULL, STATE_ANY, cmd_unknown, 0 },
};

/* A long session keeps its maildrop lock from going stale. */
static void after_command(struct session *base)
{
	maildrop_keep_lock_fresh(&pop3_session_of(base)->maildrop);
}

const struct protocol pop3_protocol = {
	.name = "pop3",
	.line_max = POP3_LINE_MAX,
	.commands = commands,
	.loop_reply = pop3_loop_reply,
	.after_command = after_command,
};

/* Capabilities of the protocol rather than of one command (RFC 2449,
 * RFC 3206): the response codes we send and the reply batching the line
 * reader and writer give. */
static const char *const session_capabilities[] = {
	"RESP-CODES",
	"AUTH-RESP-CODE",
	"PIPELINING",
	"IMPLEMENTATION pop3-handler",
};

static enum status cmd_capa(struct session *base, char *args)
{
	struct pop3_session *s = pop3_session_of(base);
	if (!no_more_args(args))
		return STATUS_SYNTAX;
	reply(s, OK_CAPA);
	for (const struct command *c = commands; c->verb; c++)
		if (c->flags & COMMAND_ANNOUNCED)
			writer_printf(&base->out, "%s\r\n", c->verb);
	for (size_t i = 0; i < sizeof session_capabilities /
			       sizeof session_capabilities[0]; i++)
		writer_printf(&base->out, "%s\r\n", session_capabilities[i]);
	/* RFC 5034 section 3: where PLAIN and LOGIN may be used at all. */
	if (base->state == STATE_AUTHORIZATION &&
	    session_plaintext_auth_allowed(base))
		sasl_list_mechanisms(&base->out, "SASL ", " ", "\r\n");
	return reply(s, LINE_END);
}
