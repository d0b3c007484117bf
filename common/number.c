/* number: see number.h. */
#include "number.h"

#include <limits.h>

/* The value of a string of digits, saturating at ULLONG_MAX (then
 * *overflow is set); false when text is empty or not all digits. */
static bool digits_value(const char *text, unsigned long long *out,
			 bool *overflow)
{
	unsigned long long v = 0;
	*overflow = false;
	if (!*text)
		return false;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return false;
		unsigned d = (unsigned)(*text - '0');
		if (v > (ULLONG_MAX - d) / 10) {
			v = ULLONG_MAX;
			*overflow = true;
		} else {
			v = v * 10 + d;
		}
	}
	*out = v;
	return true;
}

bool parse_uint(const char *text, unsigned long long max,
		unsigned long long *out)
{
	unsigned long long v;
	bool overflow;
	if (!digits_value(text, &v, &overflow) || overflow || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_uint_saturating(const char *text, unsigned long long *out)
{
	bool overflow;
	return digits_value(text, out, &overflow);
}
