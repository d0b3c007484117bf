/* smtp_auth: AUTH (RFC 4954) with the PLAIN and LOGIN mechanisms,
 * checked against userinfo.txt as POP3's PASS is. */
#include <string.h>

#include "log.h"
#include "sasl.h"
#include "smtp.h"
#include "users.h"

/* The refusal of an AUTH the session cannot take now, or STATUS_OK. */
static enum status check_place(struct smtp_session *s)
{
	unsigned state = s->session.state;
	if (state == STATE_START)
		return reply(s, REPLY_NEED_HELO);
	if (state != STATE_READY)
		return reply(s, REPLY_AUTH_IN_TRANSACTION);
	if (!s->esmtp)
		return reply(s, REPLY_AUTH_NEED_EHLO);
	if (s->auth_user[0])
		return reply(s, REPLY_AUTH_TWICE);
	return STATUS_OK;
}

static enum status check_credentials(struct smtp_session *s,
				     enum sasl_mechanism m,
				     const struct sasl_login *login)
{
	const char *how = sasl_login_method(m);
	const char *peer = s->session.peer;
	switch (login_attempt(login->user, login->password, how, peer,
			      s->session.settings.auth_delay_ms)) {
	case LOGIN_OK:
		memcpy(s->auth_user, login->user, sizeof s->auth_user);
		log_msg(LOG_INFO, "%s authenticated from %s (%s)",
			s->auth_user, peer, how);
		return reply(s, REPLY_AUTH_OK);
	case LOGIN_FILE_ERROR:
		return reply(s, REPLY_AUTH_TEMPORARY);
	case LOGIN_WRONG_PASSWORD:
	case LOGIN_NO_SUCH_USER:
		break;
	}
	if (login_failures_left(&s->auth_failures))
		return reply(s, REPLY_AUTH_FAILED);
	reply(s, REPLY_AUTH_TOO_MANY, s->session.settings.domain);
	return STATUS_TOO_MANY_ERRORS;
}

/* AUTH mechanism [initial-response] */
enum status smtp_auth(struct smtp_session *s, char *args)
{
	enum status refused = check_place(s);
	if (refused != STATUS_OK)
		return refused;
	char *name = strtok(args, " ");
	char *initial = name ? strtok(NULL, " ") : NULL;
	if (!name || strtok(NULL, " "))
		return reply(s, REPLY_SYNTAX, "AUTH mechanism [initial-response]");
	enum sasl_mechanism m = sasl_mechanism_named(name);
	if (m == SASL_UNKNOWN)
		return reply(s, REPLY_AUTH_UNKNOWN_MECHANISM);
	if (!session_plaintext_auth_allowed(&s->session))
		return reply(s, REPLY_AUTH_NEEDS_TLS);
	static const enum reply refusals[] = {
		[SASL_CANCELLED] = REPLY_AUTH_CANCELLED,
		[SASL_MALFORMED] = REPLY_AUTH_MALFORMED,
		[SASL_TOO_LONG] = REPLY_AUTH_TOO_LONG,
		[SASL_TIMEOUT] = REPLY_TIMEOUT,
	};
	struct sasl_login login;
	enum sasl_result result = sasl_exchange(&s->session, m, initial,
						"334 ", &login);
	if (result == SASL_GONE)
		return STATUS_GONE;
	if (result != SASL_DONE) {
		enum status r = reply(s, refusals[result],
				      s->session.settings.domain);
		return result == SASL_TIMEOUT ? STATUS_TIMEOUT : r;
	}
	enum status r = check_credentials(s, m, &login);
	sasl_forget(&login);
	return r;
}
