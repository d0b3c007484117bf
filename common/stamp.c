/* stamp: see stamp.h. */
#include "stamp.h"

#include <stdio.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

void stamp_date(char *buf, size_t size, time_t when)
{
	struct tm tm;
	localtime_r(&when, &tm);
	/* %a and %b follow the locale; the C locale is what mail wants, and
	 * these programs never call setlocale. */
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

void stamp_unique_id(char *buf, size_t size)
{
	struct timeval tv;
	unsigned int random_bits = 0;
	gettimeofday(&tv, NULL);
	if (getrandom(&random_bits, sizeof random_bits, GRND_NONBLOCK) !=
	    sizeof random_bits)
		random_bits ^= (unsigned int)tv.tv_usec * 2654435761u;
	snprintf(buf, size, "%llX.%05lX.%X.%08X", (unsigned long long)tv.tv_sec,
		 (long)tv.tv_usec, (unsigned int)getpid(), random_bits);
}

long long stamp_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
