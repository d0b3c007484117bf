/* pop3-handler: one POP3 session from start to its one end.  main() and
 * the signals are in pop3_main.c, so tests/fuzz/ can run this in-process. */
#include "pop3.h"

#include "log.h"

/* The one place a session ends: one log line for what a logged-in
 * session did; then the maildrop lock goes, before the last flush, so
 * neither a client that stopped reading (the flush waits for it) nor one
 * that logs in again the moment it reads QUIT's +OK finds the maildrop
 * still locked.  Returns the exit status. */
static int pop3_end(struct pop3_session *s, enum status how)
{
	const char *why = "connection dropped";
	int status = 0;
	switch (how) {
	case STATUS_QUIT:
		why = s->update_failed ? "QUIT, update failed" : "QUIT";
		break;
	case STATUS_TIMEOUT:
		why = "idle timeout";
		if (s->session.state != STATE_TRANSACTION)
			log_msg(LOG_INFO, "idle timeout before login%s%s",
				s->user[0] ? " as " : "", s->user);
		break;
	case STATUS_TOO_MANY_ERRORS:
		why = "too many errors";
		break;
	case STATUS_FAILURE:
		why = "maildrop read error";
		status = EXIT_UNAVAILABLE;
		break;
	default:
		break;
	}
	if (s->session.state == STATE_TRANSACTION) {
		log_msg(LOG_INFO, "%s: session end (%s): RETR %zu (%llu octets), "
			"TOP %zu, marked deleted %zu", s->user, why, s->retrieved,
			s->retrieved_size, s->tops, s->maildrop.deleted_count);
		maildrop_close(&s->maildrop);
	}
	writer_flush(&s->session.out);
	return status;
}

int pop3_handler(struct pop3_session *s, int argc, char **argv)
{
	int status = session_start(&s->session, &pop3_protocol, argc, argv,
				   "pop3-handler", DEFAULT_POP3_TIMEOUT_SECONDS);
	if (status == 0) {
		s->session.state = STATE_AUTHORIZATION;
		reply(s, OK_GREETING);
		status = pop3_end(s, session_run(&s->session, &pop3_protocol));
	}
	connection_hang_up();
	return status;
}
