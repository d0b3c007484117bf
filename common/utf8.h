/* utf8: checking text that may hold UTF-8 (addresses, alias names). */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>

/* Is the NUL-terminated text valid UTF-8 (RFC 3629: shortest forms only,
 * no surrogates, nothing past U+10FFFF)?  ASCII always is. */
bool utf8_valid(const char *text);

/* Does text hold any octet of 0x80 or more? */
bool utf8_has_8bit(const char *text);

#endif
