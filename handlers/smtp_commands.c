/* smtp_commands: the command table of smtp-handler and the commands that
 * fit on one line (everything but the body of DATA). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "log.h"
#include "smtp.h"
#include "store.h"

struct command {
	const char *verb;       /* matched case-insensitively; NULL: unknown */
	unsigned states;        /* states in which the command is allowed */
	enum reply refused;     /* reply outside those states (once greeted) */
	void (*run)(struct session *s, char *args);
	const char *keyword;    /* the arguments must start with it ("FROM:") */
	const char *usage;      /* shown when they do not */
};

static void cmd_helo(struct session *s, char *args);
static void cmd_ehlo(struct session *s, char *args);
static void cmd_mail(struct session *s, char *args);
static void cmd_rcpt(struct session *s, char *args);
static void cmd_data(struct session *s, char *args);
static void cmd_rset(struct session *s, char *args);
static void cmd_noop(struct session *s, char *args);
static void cmd_vrfy(struct session *s, char *args);
static void cmd_help(struct session *s, char *args);
static void cmd_quit(struct session *s, char *args);
static void cmd_not_implemented(struct session *s, char *args);
static void cmd_unknown(struct session *s, char *args);

#define COMMAND(verb, states, refused, run) \
	{ verb, states, refused, run, NULL, NULL }

static const struct command commands[] = {
	COMMAND("HELO", STATE_ANY, REPLY_OK, cmd_helo),
	COMMAND("EHLO", STATE_ANY, REPLY_OK, cmd_ehlo),
	{ "MAIL", STATE_READY, REPLY_NESTED_MAIL, cmd_mail, "FROM:", "MAIL FROM:<address>" },
	{ "RCPT", STATE_MAIL | STATE_RCPT, REPLY_NEED_MAIL, cmd_rcpt, "TO:", "RCPT TO:<address>" },
	COMMAND("DATA", STATE_RCPT, REPLY_NEED_RCPT, cmd_data),
	COMMAND("RSET", STATE_ANY, REPLY_OK, cmd_rset),
	COMMAND("NOOP", STATE_ANY, REPLY_OK, cmd_noop),
	COMMAND("VRFY", STATE_ANY, REPLY_OK, cmd_vrfy),
	COMMAND("HELP", STATE_ANY, REPLY_OK, cmd_help),
	COMMAND("QUIT", STATE_ANY, REPLY_OK, cmd_quit),
	/* The assignment's spellings, with its reply texts. */
	COMMAND("MAIL_FROM:", STATE_READY, REPLY_NESTED_MAIL, cmd_mail),
	COMMAND("RCPT_TO:", STATE_MAIL | STATE_RCPT, REPLY_NEED_MAIL, cmd_rcpt),
	/* Known verbs this server does not offer. */
	COMMAND("EXPN", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("TURN", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("ETRN", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("BDAT", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("AUTH", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("STARTTLS", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("SEND", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("SOML", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND("SAML", STATE_ANY, REPLY_OK, cmd_not_implemented),
	COMMAND(NULL, STATE_ANY, REPLY_OK, cmd_unknown),
};

/* Service extensions EHLO announces besides HELP, which is a command of
 * the table above.  SIZE carries the limit, so it is printed apart. */
static const char *const ehlo_extensions[] = {
	"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES",
};

static const struct command *find_command(const char *line, size_t len,
					  size_t *verb_len)
{
	const struct command *c = commands;
	for (; c->verb; c++) {
		size_t n = strlen(c->verb);
		if (len >= n && strncasecmp(line, c->verb, n) == 0 &&
		    (len == n || line[n] == ' ' || c->verb[n - 1] == ':'))
			break;
	}
	*verb_len = c->verb ? strlen(c->verb) : len;
	return c;
}

void smtp_dispatch(struct session *s, char *line, size_t len)
{
	size_t verb_len;
	const struct command *c = find_command(line, len, &verb_len);
	char *args = line + verb_len;
	while (*args == ' ')
		args++;
	if (c->verb && !(c->states & s->state)) {
		reply(s, s->state == STATE_START ? REPLY_NEED_HELO : c->refused);
		return;
	}
	if (c->keyword) {
		size_t n = strlen(c->keyword);
		if (strncasecmp(args, c->keyword, n) != 0) {
			reply(s, REPLY_SYNTAX, c->usage);
			return;
		}
		args += n;
	}
	c->run(s, args);
}

void session_reset_transaction(struct session *s)
{
	s->sender[0] = '\0';
	s->n_rcpt = 0;
	if (s->state != STATE_START)
		s->state = STATE_READY;
}

static void send_ehlo(struct session *s, const char *client_name)
{
	writer_printf(&s->out, "250-%s Hello %s\r\n", s->cfg->domain, client_name);
	for (size_t i = 0; i < sizeof ehlo_extensions / sizeof *ehlo_extensions; i++)
		writer_printf(&s->out, "250-%s\r\n", ehlo_extensions[i]);
	writer_printf(&s->out, "250-SIZE %lld\r\n",
		      (long long)s->cfg->max_message_size);
	writer_puts(&s->out, "250 HELP\r\n");
}

static void send_help(struct session *s)
{
	char verbs[256] = "";
	for (const struct command *c = commands; c->verb; c++) {
		if (c->run == cmd_not_implemented || strchr(c->verb, '_'))
			continue;
		strncat(verbs, c->verb, sizeof verbs - strlen(verbs) - 2);
		strcat(verbs, " ");
	}
	verbs[strlen(verbs) - 1] = '\0';
	reply(s, REPLY_HELP, verbs);
}

/* Copy the first word of args (the client's name) into s->helo. */
static bool take_client_name(struct session *s, const char *args)
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
	session_reset_transaction(s);
	s->state = STATE_READY;
	return true;
}

static void cmd_helo(struct session *s, char *args)
{
	if (!take_client_name(s, args)) {
		reply(s, REPLY_SYNTAX, "HELO hostname");
		return;
	}
	s->esmtp = false;
	reply(s, REPLY_HELO, s->cfg->domain, s->helo);
}

static void cmd_ehlo(struct session *s, char *args)
{
	if (!take_client_name(s, args)) {
		reply(s, REPLY_SYNTAX, "EHLO hostname");
		return;
	}
	s->esmtp = true;
	send_ehlo(s, s->helo);
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

/* MAIL parameters (RFC 1870 SIZE, RFC 6152 BODY); false if refused. */
static bool accept_mail_params(struct session *s, char *params)
{
	for (char *p = strtok(params, " "); p; p = strtok(NULL, " ")) {
		if (strncasecmp(p, "SIZE=", 5) == 0) {
			char *end;
			unsigned long long size = strtoull(p + 5, &end, 10);
			if (end == p + 5 || *end) {
				reply(s, REPLY_SYNTAX, "SIZE=number");
				return false;
			}
			if (size > (unsigned long long)s->cfg->max_message_size) {
				reply(s, REPLY_TOO_BIG);
				return false;
			}
		} else if (strcasecmp(p, "BODY=8BITMIME") && strcasecmp(p, "BODY=7BIT")) {
			reply(s, REPLY_PARAM_UNKNOWN, p);
			return false;
		}
	}
	return true;
}

static void cmd_mail(struct session *s, char *path_text)
{
	char *params;
	/* An empty path "<>" is the null sender of bounces: allowed. */
	if (!parse_path(path_text, s->sender, &params)) {
		reply(s, REPLY_BAD_SENDER);
		return;
	}
	if (!accept_mail_params(s, params)) {
		s->sender[0] = '\0';
		return;
	}
	s->state = STATE_MAIL;
	char shown[SMTP_PATH_MAX + 3];
	snprintf(shown, sizeof shown, "<%s>", s->sender);
	reply(s, REPLY_SENDER_OK, shown);
}

/* The user a recipient address names: its local part must be a user of
 * the users file, whatever the domain (this server never relays). */
static void add_recipient(struct session *s, const char *address)
{
	char user[USER_NAME_MAX + 1];
	const char *at = strrchr(address, '@');
	size_t len = at ? (size_t)(at - address) : strlen(address);
	if (s->n_rcpt >= s->cfg->max_recipients) {
		reply(s, REPLY_TOO_MANY_RCPT);
		return;
	}
	if (!username_valid(address, len)) {
		log_msg(LOG_INFO, "refused recipient %s: not a valid user name",
			address);
		reply(s, REPLY_NO_SUCH_USER);
		return;
	}
	memcpy(user, address, len);
	user[len] = '\0';
	switch (users_lookup("userinfo.txt", user, NULL)) {
	case USERS_FOUND:
		break;
	case USERS_NOT_FOUND:
		log_msg(LOG_INFO, "refused recipient %s: no such user", address);
		reply(s, REPLY_NO_SUCH_USER);
		return;
	case USERS_FILE_ERROR:
		reply(s, REPLY_LOCAL_ERROR);
		return;
	}
	/* A user without a mailbox directory: temporary, for this recipient
	 * alone, rather than a 451 for the whole message at DATA. */
	if (!store_has_directory(user)) {
		reply(s, REPLY_MAILBOX_UNAVAILABLE);
		return;
	}
	if (s->n_rcpt == s->rcpt_capacity) {
		size_t cap = s->rcpt_capacity ? s->rcpt_capacity * 2 : 8;
		struct recipient *grown = realloc(s->rcpt, cap * sizeof *grown);
		if (!grown) {
			reply(s, REPLY_LOCAL_ERROR);
			return;
		}
		s->rcpt = grown;
		s->rcpt_capacity = cap;
	}
	struct recipient *r = &s->rcpt[s->n_rcpt++];
	snprintf(r->user, sizeof r->user, "%s", user);
	snprintf(r->address, sizeof r->address, "%s", address);
	s->state = STATE_RCPT;
	reply(s, REPLY_RECIPIENT_OK, address);
}

static void cmd_rcpt(struct session *s, char *path_text)
{
	char address[SMTP_PATH_MAX + 1], *params;
	if (!parse_path(path_text, address, &params) || !address[0]) {
		reply(s, REPLY_BAD_RECIPIENT);
		return;
	}
	if (*params) {
		reply(s, REPLY_PARAM_UNKNOWN, params);
		return;
	}
	add_recipient(s, address);
}

static void cmd_data(struct session *s, char *args)
{
	if (*args) {
		reply(s, REPLY_SYNTAX, "DATA takes no argument");
		return;
	}
	smtp_data(s);
}

static void cmd_rset(struct session *s, char *args)
{
	(void)args;
	session_reset_transaction(s);
	reply(s, REPLY_OK);
}

static void cmd_noop(struct session *s, char *args)
{
	(void)args;
	reply(s, REPLY_OK);
}

static void cmd_vrfy(struct session *s, char *args)
{
	if (!*args)
		reply(s, REPLY_SYNTAX, "VRFY user");
	else
		reply(s, REPLY_VRFY);
}

static void cmd_help(struct session *s, char *args)
{
	(void)args;
	send_help(s);
}

static void cmd_quit(struct session *s, char *args)
{
	(void)args;
	reply(s, REPLY_CLOSING, s->cfg->domain);
	s->done = true;
}

static void cmd_not_implemented(struct session *s, char *args)
{
	(void)args;
	reply(s, REPLY_NOT_IMPLEMENTED);
}

static void cmd_unknown(struct session *s, char *args)
{
	(void)args;
	reply(s, REPLY_UNRECOGNIZED);
}
