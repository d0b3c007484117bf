/* array: growing a malloc'd array by doubling. */
#ifndef ARRAY_H
#define ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* Make *array (a pointer to *cap elements of size octets each) hold at
 * least need elements, doubling from first; false (and *array as it was)
 * when out of memory. */
bool array_grow(void *array, size_t *cap, size_t need, size_t size,
		size_t first);

#endif
