/* sasl: the server side of AUTH's two mechanisms, in both protocols:
 * PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login, which Outlook
 * and many libraries still use).  Both carry the password in the clear,
 * so a session offers them only where session_plaintext_auth_allowed()
 * says so.  Challenges and responses are base64 lines on the session's
 * own reader and writer (RFC 4954 section 4, RFC 5034 section 4). */
#ifndef SASL_H
#define SASL_H

#include "mail_limits.h"
#include "session.h"

enum sasl_mechanism { SASL_PLAIN, SASL_LOGIN, SASL_UNKNOWN };

/* Their names, indexed by enum sasl_mechanism, NULL after the last: what
 * EHLO's AUTH line and CAPA's SASL line list. */
extern const char *const sasl_mechanism_names[];

/* "AUTH PLAIN", "AUTH LOGIN": how a login was made, for log lines. */
const char *sasl_login_method(enum sasl_mechanism m);

/* The mechanism of that name, in any case. */
enum sasl_mechanism sasl_mechanism_named(const char *name);

/* Write prefix, the names with separator between them, then end: one
 * line ("250-AUTH PLAIN LOGIN") or a line each ("PLAIN\r\nLOGIN"). */
void sasl_list_mechanisms(struct writer *out, const char *prefix,
			  const char *separator, const char *end);

enum sasl_result {
	SASL_DONE,              /* the credentials are in struct sasl_login */
	SASL_CANCELLED,         /* the client answered "*" */
	SASL_MALFORMED,         /* not base64, or not the mechanism's shape */
	SASL_TOO_LONG,          /* a response over SASL_RESPONSE_MAX octets */
	SASL_TIMEOUT,
	SASL_GONE,
};

/* What the client claimed.  user is "" when the name it gave cannot be a
 * user, or the password is longer than any stored one: the check then
 * fails as it does for an unknown user. */
struct sasl_login {
	char user[USER_NAME_MAX + 1];
	char password[USER_PASSWORD_MAX + 1];
};

/* Run mechanism m to its end.  initial: the initial response from the
 * AUTH line, NULL when there was none ("=" is an empty one); challenges
 * go out as challenge_prefix ("334 ", "+ ") and the base64 text.  The
 * responses are wiped where they were read (initial too), leaving the
 * password in *login alone, which the caller wipes with sasl_forget(). */
enum sasl_result sasl_exchange(struct session *s, enum sasl_mechanism m,
			       char *initial,
			       const char *challenge_prefix,
			       struct sasl_login *login);

void sasl_forget(struct sasl_login *login);

#endif
