/* smtp_commands: the command table of smtp-handler, EHLO and HELP built
 * from it, and the commands that fit on one line (all but DATA's body). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "array.h"
#include "utf8.h"
#include "log.h"
#include "number.h"
#include "sasl.h"
#include "smtp.h"
#include "store.h"
#include "users.h"

static char *skip_spaces(char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Copy the first word of args (the client's name) into s->helo. */
static bool take_client_name(struct smtp_session *s, const char *args)
{
	size_t n = strcspn(args, " ");
	if (n == 0)
		return false;
	/* It goes into the Received: line: no control characters. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)args[i] <= ' ' || args[i] == 0x7f)
			return false;
	if (n > SMTP_PATH_MAX)
		n = SMTP_PATH_MAX;
	memcpy(s->helo, args, n);
	s->helo[n] = '\0';
	smtp_transaction_reset(s);
	s->session.state = STATE_READY;
	return true;
}

static enum status cmd_helo(struct session *base, char *args)
{
	struct smtp_session *s = smtp_session_of(base);
	if (!take_client_name(s, skip_spaces(args)))
		return reply(s, REPLY_SYNTAX, "HELO hostname");
	s->esmtp = false;
	return reply(s, REPLY_HELO, base->settings.domain, s->helo);
}

/* Parse a reverse- or forward-path: "<addr>" (an RFC 5321 source route
 * "@a,@b:" inside is dropped) or, leniently, a bare "addr".  The address
 * goes to addr; *rest points at what follows (the ESMTP parameters). */
static bool parse_path(char *text, char addr[SMTP_PATH_MAX + 1], char **rest)
{
	while (*text == ' ')
		text++;
	char *start = text, *end;
	if (*text == '<') {
		start = text + 1;
		end = strchr(start, '>');
		if (!end)
			return false;
		*rest = end + 1;
		if (*start == '@') {
			char *colon = memchr(start, ':', (size_t)(end - start));
			if (!colon)
				return false;
			start = colon + 1;
		}
	} else {
		end = start + strcspn(start, " ");
		*rest = end;
		if (end == start)
			return false;
	}
	size_t len = (size_t)(end - start);
	if (len > SMTP_PATH_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)start[i];
		if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	memcpy(addr, start, len);
	addr[len] = '\0';
	while (**rest == ' ')
		(*rest)++;
	return true;
}

/* RFC 6531 3.5: an address with 8-bit octets only in a transaction that
 * asked for SMTPUTF8 (else 553 5.6.7), and then as valid UTF-8 (else it
 * is bad syntax, bad): STATUS_OK when the address may pass. */
static enum status check_address(struct smtp_session *s, const char *address,
				 enum reply bad)
{
	if (!utf8_has_8bit(address))
		return STATUS_OK;
	if (!s->smtputf8)
		return reply(s, REPLY_NEED_SMTPUTF8);
	return utf8_valid(address) ? STATUS_OK : reply(s, bad);
}

/* MAIL parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8,
 * RFC 4954 AUTH): the refusal's status, or STATUS_OK when all are
 * accepted. */
static enum status check_mail_params(struct smtp_session *s, char *params)
{
	for (char *p = strtok(params, " "); p; p = strtok(NULL, " ")) {
		if (strncasecmp(p, "SIZE=", 5) == 0) {
			unsigned long long size;
			if (!parse_uint_saturating(p + 5, &size))
				return reply(s, REPLY_SYNTAX, "SIZE=number");
			if (size > (unsigned long long)s->session.settings.max_message_size)
				return reply(s, REPLY_TOO_BIG);
		} else if (strncasecmp(p, "AUTH=", 5) == 0 && p[5] && s->esmtp) {
			/* RFC 4954 section 5: who submitted it first; this
			 * server relays nothing, so it only passes. */
		} else if (strcasecmp(p, "SMTPUTF8") == 0 && s->esmtp) {
			/* Offered in EHLO only: after HELO it is unknown. */
			s->smtputf8 = true;
		} else if (strcasecmp(p, "BODY=8BITMIME") && strcasecmp(p, "BODY=7BIT")) {
			return reply(s, REPLY_PARAM_UNKNOWN, p);
		}
	}
	return STATUS_OK;
}

/* The reverse-path and parameters that follow MAIL FROM: or MAIL_FROM:. */
static enum status cmd_mail_from(struct session *base, char *path_text)
{
	struct smtp_session *s = smtp_session_of(base);
	char *params;
	if (base->settings.submission && !s->auth_user[0])
		return reply(s, REPLY_AUTH_REQUIRED);
	/* An empty path "<>" is the null sender of bounces: allowed. */
	if (!parse_path(path_text, s->sender, &params))
		return reply(s, REPLY_BAD_SENDER);
	enum status refused = check_mail_params(s, params);
	if (refused == STATUS_OK)
		refused = check_address(s, s->sender, REPLY_BAD_SENDER);
	if (refused != STATUS_OK) {
		s->sender[0] = '\0';
		s->smtputf8 = false;
		return refused;
	}
	base->state = STATE_MAIL;
	char shown[SMTP_PATH_MAX + 3];
	snprintf(shown, sizeof shown, "<%s>", s->sender);
	return reply(s, REPLY_SENDER_OK, shown);
}

/* MAIL and RCPT: their keyword ("FROM:"), then what the assignment's
 * spelling of the command takes. */
static enum status keyword_then(struct session *base, char *args,
				const char *keyword, const char *usage,
				command_handler then)
{
	args = skip_spaces(args);
	size_t n = strlen(keyword);
	if (strncasecmp(args, keyword, n) != 0)
		return reply(smtp_session_of(base), REPLY_SYNTAX, usage);
	return then(base, args + n);
}

static enum status cmd_mail(struct session *base, char *args)
{
	return keyword_then(base, args, "FROM:", "MAIL FROM:<address>",
			    cmd_mail_from);
}

/* Add the mailbox of user, unless the message goes there already. */
static bool add_mailbox(void *session, const char *user)
{
	struct smtp_session *s = session;
	for (size_t i = 0; i < s->n_rcpt; i++)
		if (strcmp(s->rcpt[i].user, user) == 0)
			return true;
	if (!array_grow(&s->rcpt, &s->rcpt_capacity, s->n_rcpt + 1,
			sizeof *s->rcpt, 8))
		return false;
	snprintf(s->rcpt[s->n_rcpt++].user, sizeof s->rcpt->user, "%s", user);
	return true;
}

/* postmaster (RFC 5321 4.5.1: any case, always accepted): the user or
 * the alias of that name, else the first user of the users file, which
 * also takes it while aliases.txt is broken. */
static enum reply resolve_postmaster(struct smtp_session *s)
{
	char who[USER_NAME_MAX + 1] = "postmaster";
	enum users_result found = users_lookup("userinfo.txt", who, NULL);
	if (found == USERS_NOT_FOUND &&
	    aliases_resolve(&s->aliases, "userinfo.txt", who, false,
			    add_mailbox, s) == ALIASES_FOUND)
		return REPLY_RECIPIENT_OK;
	if (found == USERS_NOT_FOUND)
		found = users_first("userinfo.txt", who);
	if (found != USERS_FOUND)
		return found == USERS_FILE_ERROR ? REPLY_LOCAL_ERROR :
		       REPLY_NO_SUCH_USER;
	return add_mailbox(s, who) ? REPLY_RECIPIENT_OK : REPLY_LOCAL_ERROR;
}

/* The mailboxes a local part names, added to the message's: the user of
 * that name, else postmaster's, else the alias, else the catch-all.
 * Whatever the domain: this server never relays. */
static enum reply resolve_local_part(struct smtp_session *s, const char *local)
{
	if (username_valid(local, strlen(local))) {
		switch (users_lookup("userinfo.txt", local, NULL)) {
		case USERS_FOUND:
			return add_mailbox(s, local) ? REPLY_RECIPIENT_OK :
			       REPLY_LOCAL_ERROR;
		case USERS_NOT_FOUND:
			break;
		case USERS_FILE_ERROR:
			return REPLY_LOCAL_ERROR;
		}
	}
	if (strcasecmp(local, "postmaster") == 0)
		return resolve_postmaster(s);
	switch (aliases_resolve(&s->aliases, "userinfo.txt", local, true,
				add_mailbox, s)) {
	case ALIASES_FOUND:
		return REPLY_RECIPIENT_OK;
	case ALIASES_FILE_ERROR:
		return REPLY_LOCAL_ERROR;
	case ALIASES_NOT_FOUND:
		break;
	}
	return REPLY_NO_SUCH_USER;
}

static enum status add_recipient(struct smtp_session *s, const char *address)
{
	if (s->n_addresses >= s->session.settings.max_recipients)
		return reply(s, REPLY_TOO_MANY_RCPT);
	enum status refused = check_address(s, address, REPLY_BAD_RECIPIENT);
	if (refused != STATUS_OK)
		return refused;
	char local[USER_NAME_MAX + 1];
	const char *at = strrchr(address, '@');
	size_t len = at ? (size_t)(at - address) : strlen(address);
	size_t before = s->n_rcpt;
	enum reply r = REPLY_NO_SUCH_USER;
	if (len > 0 && len <= USER_NAME_MAX) {
		memcpy(local, address, len);
		local[len] = '\0';
		r = resolve_local_part(s, local);
	}
	/* A mailbox without its directory: temporary, for this recipient
	 * alone, rather than a 451 for the whole message at DATA. */
	for (size_t i = before; i < s->n_rcpt && r == REPLY_RECIPIENT_OK; i++)
		if (!store_has_directory(s->rcpt[i].user))
			r = REPLY_MAILBOX_UNAVAILABLE;
	if (r != REPLY_RECIPIENT_OK) {
		s->n_rcpt = before;
		if (r == REPLY_NO_SUCH_USER)
			log_msg(LOG_INFO, "refused recipient %s: no such user "
				"or alias", address);
		return reply(s, r);
	}
	s->n_addresses++;
	s->session.state = STATE_RCPT;
	return reply(s, REPLY_RECIPIENT_OK, address);
}

/* The forward-path that follows RCPT TO: or RCPT_TO:. */
static enum status cmd_rcpt_to(struct session *base, char *path_text)
{
	struct smtp_session *s = smtp_session_of(base);
	char address[SMTP_PATH_MAX + 1], *params;
	if (!parse_path(path_text, address, &params) || !address[0])
		return reply(s, REPLY_BAD_RECIPIENT);
	if (*params)
		return reply(s, REPLY_PARAM_UNKNOWN, params);
	return add_recipient(s, address);
}

static enum status cmd_rcpt(struct session *base, char *args)
{
	return keyword_then(base, args, "TO:", "RCPT TO:<address>",
			    cmd_rcpt_to);
}

static enum status cmd_data(struct session *base, char *args)
{
	struct smtp_session *s = smtp_session_of(base);
	if (*skip_spaces(args))
		return reply(s, REPLY_SYNTAX, "DATA takes no argument");
	return smtp_data(s);
}

static enum status cmd_bdat(struct session *base, char *args)
{
	return smtp_bdat(smtp_session_of(base), args);
}

static enum status cmd_auth(struct session *base, char *args)
{
	return smtp_auth(smtp_session_of(base), args);
}

static enum status cmd_rset(struct session *base, char *args)
{
	(void)args;
	smtp_transaction_reset(smtp_session_of(base));
	return STATUS_OK;
}

static enum status cmd_noop(struct session *base, char *args)
{
	(void)base;
	(void)args;
	return STATUS_OK;
}

static enum status cmd_vrfy(struct session *base, char *args)
{
	struct smtp_session *s = smtp_session_of(base);
	if (!*skip_spaces(args))
		return reply(s, REPLY_SYNTAX, "VRFY user");
	return reply(s, REPLY_VRFY);
}

static enum status cmd_quit(struct session *base, char *args)
{
	(void)args;
	reply(smtp_session_of(base), REPLY_CLOSING, base->settings.domain);
	return STATUS_QUIT;
}

static enum status cmd_unknown(struct session *base, char *args)
{
	(void)args;
	return reply(smtp_session_of(base), REPLY_UNRECOGNIZED);
}

static enum status cmd_ehlo(struct session *s, char *args);
static enum status cmd_help(struct session *s, char *args);

static const struct command commands[] = {
	{ "HELO", STATE_ANY, cmd_helo, 0 },
	{ "EHLO", STATE_ANY, cmd_ehlo, 0 },
	{ "MAIL", STATE_READY, cmd_mail, 0 },
	{ "RCPT", STATE_MAIL | STATE_RCPT, cmd_rcpt, 0 },
	{ "DATA", STATE_RCPT, cmd_data, 0 },
	/* Allowed everywhere so that the octets of a chunk out of its place
	 * are still read (and dropped): they must never run as commands. */
	{ "BDAT", STATE_ANY, cmd_bdat, 0 },
	{ "RSET", STATE_ANY, cmd_rset, 0 },
	{ "NOOP", STATE_ANY, cmd_noop, 0 },
	{ "VRFY", STATE_ANY, cmd_vrfy, 0 },
	/* Allowed everywhere so that it is refused in its own words. */
	{ "AUTH", STATE_ANY, cmd_auth, 0 },
	{ "HELP", STATE_ANY, cmd_help, COMMAND_ANNOUNCED },
	{ "QUIT", STATE_ANY, cmd_quit, 0 },
	/* The assignment's spellings, with its reply texts. */
	{ "MAIL_FROM:", STATE_READY, cmd_mail_from, COMMAND_ALIAS },
	{ "RCPT_TO:", STATE_MAIL | STATE_RCPT, cmd_rcpt_to, COMMAND_ALIAS },
	{ "EXPN", STATE_ANY, NULL, COMMAND_NOT_OFFERED },
	{ "TURN", STATE_ANY, NULL, COMMAND_NOT_OFFERED },
	{ "ETRN", STATE_ANY, NULL, COMMAND_NOT_OFFERED },
	{ "STARTTLS", STATE_ANY, NULL, COMMAND_NOT_OFFERED },
	{ "SEND", STATE_ANY, NULL, COMMAND_NOT_OFFERED },
	{ "SOML", STATE_ANY, NULL, COMMAND_NOT_OFFERED },
	{ "SAML", STATE_ANY, NULL, COMMAND_NOT_OFFERED },
	{ NULL, STATE_ANY, cmd_unknown, 0 },
};

const struct protocol smtp_protocol = {
	.name = "smtp",
	.line_max = SMTP_LINE_MAX,
	.commands = commands,
	.loop_reply = smtp_loop_reply,
	.after_command = NULL,
};

/* Service extensions of the protocol rather than of one command; SIZE
 * carries the limit, so it is printed apart. */
static const char *const ehlo_extensions[] = {
	"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING",
};

static enum status send_ehlo(struct smtp_session *s)
{
	const char *lines[sizeof ehlo_extensions / sizeof *ehlo_extensions +
			  sizeof commands / sizeof *commands + 1];
	size_t n = 0;
	char size[32];
	for (size_t i = 0; i < sizeof ehlo_extensions / sizeof *ehlo_extensions; i++)
		lines[n++] = ehlo_extensions[i];
	snprintf(size, sizeof size, "SIZE %lld",
		 (long long)s->session.settings.max_message_size);
	lines[n++] = size;
	for (const struct command *c = commands; c->verb; c++)
		if (c->flags & COMMAND_ANNOUNCED)
			lines[n++] = c->verb;
	struct writer *out = &s->session.out;
	writer_printf(out, "250-%s Hello %s\r\n", s->session.settings.domain,
		      s->helo);
	/* RFC 4954: only where the password may travel (538 elsewhere). */
	if (session_plaintext_auth_allowed(&s->session))
		sasl_list_mechanisms(out, "250-AUTH ", " ", "\r\n");
	for (size_t i = 0; i < n; i++)
		writer_printf(out, "250%c%s\r\n", i + 1 < n ? '-' : ' ', lines[i]);
	return STATUS_REPLIED;
}

/* The verbs offered under their own name. */
static enum status send_help(struct smtp_session *s)
{
	char verbs[256] = "";
	for (const struct command *c = commands; c->verb; c++) {
		if (c->flags & (COMMAND_ALIAS | COMMAND_NOT_OFFERED))
			continue;
		strncat(verbs, c->verb, sizeof verbs - strlen(verbs) - 2);
		strcat(verbs, " ");
	}
	verbs[strlen(verbs) - 1] = '\0';
	return reply(s, REPLY_HELP, verbs);
}

static enum status cmd_ehlo(struct session *base, char *args)
{
	struct smtp_session *s = smtp_session_of(base);
	if (!take_client_name(s, skip_spaces(args)))
		return reply(s, REPLY_SYNTAX, "EHLO hostname");
	s->esmtp = true;
	return send_ehlo(s);
}

static enum status cmd_help(struct session *base, char *args)
{
	(void)args;
	return send_help(smtp_session_of(base));
}
