/* array: see array.h. */
#include "array.h"

#include <stdlib.h>

bool array_grow(void *array, size_t *cap, size_t need, size_t size,
		size_t first)
{
	if (need <= *cap)
		return true;
	size_t cap2 = *cap ? *cap * 2 : first;
	while (cap2 < need)
		cap2 *= 2;
	void *p = realloc(*(void **)array, cap2 * size);
	if (!p)
		return false;
	*(void **)array = p;
	*cap = cap2;
	return true;
}
