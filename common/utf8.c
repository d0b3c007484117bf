/* utf8: see utf8.h. */
#include "utf8.h"

bool utf8_valid(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	while (*p) {
		unsigned c = *p++, n, min;
		if (c < 0x80)
			continue;
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, min = 0x80, c &= 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, min = 0x800, c &= 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, min = 0x10000, c &= 0x07;
		else
			return false;
		for (; n > 0; n--, p++) {
			if ((*p & 0xC0) != 0x80)
				return false;
			c = c << 6 | (*p & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return false;
	}
	return true;
}

bool utf8_has_8bit(const char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text >= 0x80)
			return true;
	return false;
}
