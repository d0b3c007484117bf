/* session: see session.h. */
#include "session.h"

#include <string.h>
#include <strings.h>

#include "log.h"
#include "proxy.h"
#include "record.h"

int session_start(struct session *s, const struct protocol *p, int argc,
		  char **argv, const char *program, int default_timeout_seconds)
{
	if (!config_load(&s->settings, argc, argv, program,
			 default_timeout_seconds))
		return EXIT_BAD_SETTING;
	writer_init(&s->out, 1);
	writer_no_delay(1);
	writer_timeout(1, s->settings.timeout_ms);
	reader_init(&s->in, 0, s->settings.timeout_ms, &s->out);
	/* The directory is opened where the handler started, the files are
	 * created as the user it runs as. */
	record_open_dir(s->settings.record_dir);
	if (!config_apply(&s->settings, program)) {
		/* The client is connected already: tell it. */
		p->loop_reply(s, LOOP_UNAVAILABLE, NULL);
		writer_flush(&s->out);
		return EXIT_UNAVAILABLE;
	}
	/* Recorded from before the PROXY header on, as a replay sends it. */
	s->in.record = s->out.record = record_start(p->name);
	peer_identify(s->peer);
	/* Behind a load balancer: the client's address, before the greeting. */
	bool proxied_tls = false;
	if (!proxy_accept(&s->in, s->settings.proxy_from, s->peer, &proxied_tls))
		return EXIT_UNAVAILABLE;
	s->tls = s->settings.behind_tls || proxied_tls;
	log_msg(LOG_INFO, "session from %s", s->peer);
	return 0;
}

bool session_plaintext_auth_allowed(const struct session *s)
{
	switch ((enum plaintext_auth)s->settings.plaintext_auth) {
	case PLAINTEXT_AUTH_ALWAYS:
		return true;
	case PLAINTEXT_AUTH_TLS:
		return s->tls;
	case PLAINTEXT_AUTH_TLS_OR_LOOPBACK:
		break;
	}
	return s->tls || peer_is_local(s->peer);
}

/* The verb ends at a space, or just after a colon: the assignment spells
 * "MAIL_FROM:<a>" with no space. */
static size_t verb_length(const char *line)
{
	size_t n = strcspn(line, " :");
	return line[n] == ':' ? n + 1 : n;
}

/* Run one NUL-terminated command line; its arguments start after the one
 * space that ends the verb. */
static enum status dispatch(struct session *s, const struct protocol *p,
			    char *line)
{
	size_t n = verb_length(line);
	const struct command *c = p->commands;
	while (c->verb && !(strlen(c->verb) == n &&
			    strncasecmp(c->verb, line, n) == 0))
		c++;
	if (!(c->states & s->state)) {
		p->loop_reply(s, LOOP_WRONG_STATE, c);
		return STATUS_REPLIED_ERROR;
	}
	if (c->flags & COMMAND_NOT_OFFERED) {
		p->loop_reply(s, LOOP_NOT_IMPLEMENTED, c);
		return STATUS_REPLIED_ERROR;
	}
	return c->handler(s, line + n + (line[n] == ' '));
}

/* A line the loop refuses itself, or the command it holds run. */
static enum status one_line(struct session *s, const struct protocol *p,
			    struct line *l)
{
	if (!l->complete || l->len + (l->crlf ? 2 : 1) > p->line_max) {
		if (!l->complete && reader_skip_rest(&s->in) != LINE_OK)
			return STATUS_GONE;
		p->loop_reply(s, LOOP_LINE_TOO_LONG, NULL);
		return STATUS_REPLIED_ERROR;
	}
	if (l->has_nul) {
		p->loop_reply(s, LOOP_NUL, NULL);
		return STATUS_REPLIED_ERROR;
	}
	/* The line ending was consumed, so its place can hold the NUL. */
	l->text[l->len] = '\0';
	return dispatch(s, p, l->text);
}

/* Where a command line's password begins, for recordings: the argument
 * of PASS, or the initial response of AUTH (after the mechanism's name,
 * the spaces skipped as the handlers skip them). */
static size_t command_secret_at(const char *text, size_t len)
{
	size_t verb = 0;
	while (verb < len && text[verb] != ' ')
		verb++;
	if (verb == 4 && strncasecmp(text, "PASS", 4) == 0)
		return verb < len ? verb + 1 : len;
	if (verb != 4 || strncasecmp(text, "AUTH", 4) != 0)
		return len;
	size_t i = verb;
	while (i < len && text[i] == ' ')
		i++;
	while (i < len && text[i] != ' ')
		i++;
	while (i < len && text[i] == ' ')
		i++;
	return i;
}

enum status session_run(struct session *s, const struct protocol *p)
{
	for (;;) {
		struct line l;
		s->in.find_secret = command_secret_at;
		enum line_status st = reader_next(&s->in, p->line_max - 1, &l);
		s->in.find_secret = NULL;
		if (st == LINE_TIMEOUT) {
			p->loop_reply(s, LOOP_TIMEOUT, NULL);
			return STATUS_TIMEOUT;
		}
		if (st != LINE_OK || l.unterminated)
			return STATUS_GONE;
		enum status r = one_line(s, p, &l);
		switch (r) {
		case STATUS_OK:
			p->loop_reply(s, LOOP_OK, NULL);
			break;
		case STATUS_SYNTAX:
			p->loop_reply(s, LOOP_SYNTAX, NULL);
			s->errors++;
			break;
		case STATUS_REPLIED_ERROR:
			s->errors++;
			break;
		case STATUS_REPLIED:
			break;
		default:
			return r;
		}
		if (s->out.failed)
			return STATUS_GONE;
		if (s->errors >= s->settings.max_errors) {
			p->loop_reply(s, LOOP_TOO_MANY_ERRORS, NULL);
			return STATUS_TOO_MANY_ERRORS;
		}
		if (p->after_command)
			p->after_command(s);
	}
}
