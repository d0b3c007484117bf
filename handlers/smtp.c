/* smtp-handler: one SMTP session from start to its one end.  main() and
 * the signals are in smtp_main.c, so tests/fuzz/ can run this in-process. */
#include <stdlib.h>

#include "log.h"
#include "smtp.h"

/* The one place a session ends: log how, flush what is still buffered
 * (QUIT, the timeout and the error budget were answered where they were
 * seen) and free the transaction (with any chunks) and the aliases. */
static void smtp_end(struct smtp_session *s, enum status how)
{
	const char *peer = s->session.peer;
	switch (how) {
	case STATUS_TIMEOUT:
		log_msg(LOG_NOTICE, "timeout, closing session with %s", peer);
		break;
	case STATUS_TOO_MANY_ERRORS:
		log_msg(LOG_NOTICE, "too many errors from %s, closing", peer);
		break;
	default:
		break;
	}
	writer_flush(&s->session.out);
	smtp_transaction_reset(s);
	free(s->rcpt);
	s->rcpt = NULL;
	aliases_free(&s->aliases);
}

int smtp_handler(struct smtp_session *s, int argc, char **argv)
{
	int status = session_start(&s->session, &smtp_protocol, argc, argv,
				   "smtp-handler", DEFAULT_SMTP_TIMEOUT_SECONDS);
	if (status == 0) {
		s->session.state = STATE_START;
		reply(s, REPLY_GREETING, s->session.settings.domain);
		smtp_end(s, session_run(&s->session, &smtp_protocol));
	}
	connection_hang_up();
	return status;
}
