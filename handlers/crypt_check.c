/* crypt-check: does a password match a crypt(3) hash?
 *
 * pop3-handler runs it for the users file's `$` fields, so the handlers
 * link no hashing library and build with any C library; this program is
 * built with the system compiler against libcrypt.  It reads
 * "HASH\0PASSWORD\0" on fd 0 (a pipe: argv and the environment can be read
 * by other local users) and exits CRYPT_CHECK_MATCH (0), CRYPT_CHECK_NO_MATCH
 * (1), or 2 on malformed input or a failed crypt. */
#include <crypt.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "users.h"

#define BAD_INPUT 2

int main(void)
{
	static char input[CRYPT_CHECK_INPUT_MAX + 1];
	static struct crypt_data data;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(0, input + len, sizeof input - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return BAD_INPUT;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CRYPT_CHECK_INPUT_MAX)
			return BAD_INPUT;
	}
	/* Exactly two NUL-terminated strings, the first one a hash. */
	const char *hash = input;
	size_t hash_len = strnlen(input, len);
	if (hash_len == len || hash[0] != '$')
		return BAD_INPUT;
	const char *typed = input + hash_len + 1;
	size_t rest = len - hash_len - 1;
	if (rest == 0 || strnlen(typed, rest) != rest - 1)
		return BAD_INPUT;
	const char *result = crypt_r(typed, hash, &data);
	bool ok = result && result[0] != '*' && password_equal(result, hash);
	explicit_bzero(input, sizeof input);
	explicit_bzero(&data, sizeof data);
	if (!result)
		return BAD_INPUT;
	return ok ? CRYPT_CHECK_MATCH : CRYPT_CHECK_NO_MATCH;
}
