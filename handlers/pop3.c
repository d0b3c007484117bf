/* pop3-handler: settings and the command loop.  See pop3.h. */
#include "pop3.h"

#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "maildrop_update.h"
#include "proxy.h"

_Noreturn void pop3_abort(int status)
{
	maildrop_update_abandon();
	lock_release_all();
	_exit(status);
}

/* The end of every session but one a signal ends: one log line for what
 * a logged-in session did; then the locks go, before the last flush, so
 * neither a client that stopped reading (the flush waits for it) nor one
 * that logs in again the moment it reads QUIT's +OK finds the maildrop
 * still locked.  A session a signal ends logs no line: logging is not
 * safe in a signal handler. */
static void finish(struct pop3_session *s, const char *how)
{
	if (s->state == STATE_TRANSACTION)
		log_msg(LOG_INFO, "%s: session end (%s): RETR %zu (%llu octets), "
			"TOP %zu, marked deleted %zu", s->user, how, s->retrieved,
			s->retrieved_size, s->tops, s->deleted_count);
	lock_release_all();
	writer_flush(&s->out);
}

_Noreturn void pop3_end(struct pop3_session *s, const char *how, int status)
{
	finish(s, how);
	_exit(status);
}

/* Send a last reply and end the session without UPDATE. */
static _Noreturn void close_session(struct pop3_session *s, enum pop3_reply r,
				    const char *how)
{
	reply_send(s, r);
	pop3_end(s, how, 0);
}

/* Read and run commands until QUIT, EOF, timeout or too many errors. */
static void command_loop(struct pop3_session *s)
{
	unsigned errors = 0;
	struct line line;
	while (!s->quit) {
		enum line_status st = reader_next(&s->in, POP3_LINE_MAX, &line);
		if (st == LINE_TIMEOUT) {
			if (s->state != STATE_TRANSACTION)
				log_msg(LOG_INFO, "idle timeout before login%s%s",
					s->user[0] ? " as " : "", s->user);
			close_session(s, ERR_TIMEOUT, "idle timeout");
		}
		if (st != LINE_OK || line.unterminated)
			pop3_end(s, "connection dropped", 0);
		enum pop3_reply bad = REPLY_SENT;
		if (!line.complete) {
			bad = ERR_LINE_TOO_LONG;
			if (reader_skip_rest(&s->in) != LINE_OK)
				pop3_end(s, "connection dropped", 0);
		} else if (line.len + (line.crlf ? 2 : 1) > POP3_LINE_MAX) {
			bad = ERR_LINE_TOO_LONG;
		} else if (line.has_nul) {
			bad = ERR_NUL;
		}
		if (bad != REPLY_SENT)
			reply_send(s, bad);
		else
			bad = pop3_dispatch(s, line.text, line.len);
		if (reply_is_client_error(bad))
			errors++;
		/* (After QUIT the update is done: the session ends as one
		 * that quit, whatever became of the reply.) */
		if (s->out.failed && !s->quit)
			pop3_end(s, "connection dropped", 0);
		if (errors >= s->settings->max_errors)
			close_session(s, ERR_TOO_MANY_ERRORS, "too many errors");
	}
}

int pop3_handler(struct pop3_session *s, int argc, char **argv)
{
	static struct settings settings;
	if (!config_load(&settings, argc, argv, "pop3-handler",
			 DEFAULT_POP3_TIMEOUT_SECONDS))
		return EXIT_BAD_SETTING;
	s->settings = &settings;
	s->state = STATE_AUTHORIZATION;
	s->mailbox_fd = -1;
	writer_init(&s->out, 1);
	writer_no_delay(1);
	writer_timeout(1, settings.timeout_ms);
	reader_init(&s->in, 0, settings.timeout_ms, &s->out);
	if (!config_apply(&settings, "pop3-handler")) {
		/* The client is connected already: tell it, as SMTP's 421. */
		reply_send(s, ERR_UNAVAILABLE);
		writer_flush(&s->out);
		return EXIT_UNAVAILABLE;
	}
	/* Behind a load balancer: the client's address, before the greeting. */
	peer_identify(s->peer);
	if (!proxy_accept(&s->in, settings.proxy_from, s->peer))
		return EXIT_UNAVAILABLE;
	log_msg(LOG_INFO, "session from %s", s->peer);

	reply_send(s, OK_GREETING);
	command_loop(s);
	finish(s, s->update_failed ? "QUIT, update failed" : "QUIT");
	return 0;
}
