/* number: the one parser for unsigned decimal numbers from settings,
 * command lines and protocol arguments. */
#ifndef NUMBER_H
#define NUMBER_H

#include <stdbool.h>

/* text must be one or more ASCII digits and nothing else (no sign, no
 * space); its value must be at most max.  On success *out holds the value.
 * A number too big for any type fails like any other value above max: it
 * never wraps or saturates. */
bool parse_uint(const char *text, unsigned long long max,
		unsigned long long *out);

/* The same form, but a value above ULLONG_MAX is taken as ULLONG_MAX rather
 * than failing: for arguments where a huge number is well-formed and simply
 * names nothing (a POP3 message number answers "no such message", not a
 * syntax error).  False only when text is not digits. */
bool parse_uint_saturating(const char *text, unsigned long long *out);

#endif
