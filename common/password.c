/* password: checking a typed password against the users file's field. */
#include <crypt.h>
#include <string.h>

#include "users.h"

/* Compare without an early exit, so the time taken says nothing about how
 * many leading characters were right. */
static bool equal_constant_time(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return diff == 0;
}

bool password_matches(const char *stored, const char *typed)
{
	if (stored[0] == '$') {
		struct crypt_data data;
		memset(&data, 0, sizeof data);
		const char *hash = crypt_r(typed, stored, &data);
		return hash && hash[0] != '*' && equal_constant_time(hash, stored);
	}
	return equal_constant_time(stored, typed);
}
