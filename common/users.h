/* users: the users file (userinfo.txt) and what a user name may be. */
#ifndef USERS_H
#define USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "mail_limits.h"

/* [A-Za-z0-9._-], not starting with '.', 1..64 octets: a name that is safe
 * to use as a directory name under USERS/. */
bool username_valid(const char *name, size_t len);

enum users_result { USERS_FOUND, USERS_NOT_FOUND, USERS_FILE_ERROR };

/* Look name up in the users file at path (one `name<spaces>password` per
 * line, blank lines and lines starting with '#' ignored).  On USERS_FOUND
 * the password field is copied to password (NUL-terminated) if it is not
 * NULL.  Malformed lines are logged with their line number and skipped. */
enum users_result users_lookup(const char *path, const char *name,
			       char password[USER_PASSWORD_MAX + 1]);

/* Is there a user of that name in any ASCII case (alias names match so,
 * and must not hide a user)? */
enum users_result users_lookup_any_case(const char *path, const char *name);

/* The first user of the users file: who receives postmaster's mail when
 * no alias names anyone (USERS_NOT_FOUND in an empty file). */
enum users_result users_first(const char *path, char name[USER_NAME_MAX + 1]);

/* users_lookup for a login, in the same one read: for an unknown name,
 * password holds the file's first crypt hash ("" when it has none),
 * which the login is then checked against, so that it costs what a
 * hashed user's does. */
enum users_result users_lookup_for_login(const char *path, const char *name,
				       char password[USER_PASSWORD_MAX + 1]);

/* Does the password typed match the stored field?  A field starting with
 * '$' is a crypt(3) hash, checked by the crypt-check helper; any other is
 * plaintext, compared in constant time. */
bool password_matches(const char *stored, const char *typed);

enum login_result {
	LOGIN_OK,
	LOGIN_WRONG_PASSWORD,
	LOGIN_NO_SUCH_USER,     /* logged without the name, which may be a
				 * password typed into the wrong field */
	LOGIN_FILE_ERROR,
};

/* Does user ("" for a name that cannot be one) have the password typed in
 * userinfo.txt?  An unknown user's password is checked too, against the
 * file's first crypt hash where it has one (else a plaintext compare), so
 * the time taken does not tell an unknown user from a known one whose
 * password is stored the same way. */
enum login_result login_check(const char *user, const char *typed);

/* login_check, and for a failure the log line (naming how: "PASS",
 * "AUTH PLAIN"...) and the pause (MAIL_AUTH_DELAY) that makes guessing
 * slow. */
enum login_result login_attempt(const char *user, const char *typed,
				const char *how, const char *peer,
				int delay_ms);

/* Count one more failed login in *failures: may the session go on
 * (LOGIN_MAX_FAILURES)? */
bool login_failures_left(int *failures);

/* The crypt-check program password_matches runs (MAIL_CRYPT_CHECK); NULL,
 * the default, means crypt-check in the directory of the running program. */
void password_set_helper(const char *path);

/* a and b are equal, found in a time that depends on b's length only. */
bool password_equal(const char *a, const char *b);

/* crypt-check reads "HASH\0PASSWORD\0" on its standard input, at most
 * this many octets: a whole users-file field and a whole command line fit. */
#define CRYPT_CHECK_INPUT_MAX 1024
/* Its exit statuses. */
#define CRYPT_CHECK_MATCH 0
#define CRYPT_CHECK_NO_MATCH 1

#endif
