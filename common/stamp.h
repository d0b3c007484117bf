/* stamp: dates and unique ids for Received: lines and file names, and the
 * clock deadlines are measured on. */
#ifndef STAMP_H
#define STAMP_H

#include <stddef.h>
#include <time.h>

/* RFC 5322 date-time, e.g. "Fri, 27 Nov 2026 04:29:10 +0000". */
void stamp_date(char *buf, size_t size, time_t when);
/* An id no other delivery on any host shares: time, pid and random bits,
 * in [0-9A-Za-z.]. */
void stamp_unique_id(char *buf, size_t size);
/* Milliseconds on the monotonic clock, for deadlines. */
long long stamp_clock_ms(void);

#endif
