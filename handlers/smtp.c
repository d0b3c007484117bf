/* smtp-handler: settings, then one SMTP session on stdin/stdout.
 * main() and the signals are in smtp_main.c. */
#include <stdlib.h>

#include "log.h"
#include "proxy.h"
#include "smtp.h"

static void run_session(struct session *s)
{
	struct line l;
	reply(s, REPLY_GREETING, s->cfg->domain);
	while (!s->done) {
		enum line_status st = reader_next(&s->in, SMTP_LINE_MAX, &l);
		if (st == LINE_TIMEOUT) {
			log_msg(LOG_NOTICE, "timeout, closing session with %s",
				s->peer);
			reply(s, REPLY_TIMEOUT, s->cfg->domain);
			break;
		}
		if (st != LINE_OK || l.unterminated)
			break;
		if (!l.complete) {
			if (reader_skip_rest(&s->in) != LINE_OK)
				break;
			reply(s, REPLY_LINE_TOO_LONG);
			continue;
		}
		if (l.has_nul) {
			reply(s, REPLY_NUL_BYTE);
			continue;
		}
		/* The line ending was consumed, so its place can hold the NUL. */
		l.text[l.len] = '\0';
		smtp_dispatch(s, l.text, l.len);
	}
	writer_flush(&s->out);
}

int smtp_handler(struct session *s, int argc, char **argv)
{
	static struct settings cfg;
	if (!config_load(&cfg, argc, argv, "smtp-handler",
			 DEFAULT_SMTP_TIMEOUT_SECONDS))
		return EXIT_BAD_SETTING;
	s->cfg = &cfg;
	s->state = STATE_START;
	writer_init(&s->out, 1);
	writer_no_delay(1);
	writer_timeout(1, cfg.timeout_ms);
	reader_init(&s->in, 0, cfg.timeout_ms, &s->out);
	if (!config_apply(&cfg, "smtp-handler")) {
		reply(s, REPLY_UNAVAILABLE, cfg.domain);
		writer_flush(&s->out);
		return EXIT_UNAVAILABLE;
	}
	/* Behind a load balancer: the client's address, before the greeting. */
	peer_identify(s->peer);
	if (!proxy_accept(&s->in, cfg.proxy_from, s->peer))
		return EXIT_UNAVAILABLE;
	log_msg(LOG_INFO, "session from %s", s->peer);
	run_session(s);
	free(s->rcpt);
	s->rcpt = NULL;
	return 0;
}
