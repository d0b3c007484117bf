/* summary: see summary.h. */
#include "summary.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void summary_init(struct summary *s)
{
	memset(s, 0, sizeof *s);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

void summary_trim(const char **text, size_t *len)
{
	while (*len > 0 && is_blank(**text)) {
		(*text)++;
		(*len)--;
	}
	while (*len > 0 && is_blank((*text)[*len - 1]))
		(*len)--;
}

/* Copy into a fixed field, cutting what does not fit. */
static void set(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* "Name <user@host>" -> "user@host"; a bare address stays as it is. */
static void set_address(char *dst, size_t size, const char *v, size_t len)
{
	const char *open = memchr(v, '<', len);
	const char *close = open ? memchr(open, '>', len - (size_t)(open - v)) : NULL;
	if (open && close && close > open + 1)
		set(dst, size, open + 1, (size_t)(close - open - 1));
	else
		set(dst, size, v, len);
}

/* One whole (unfolded) header field: keep the ones the list shows, the
 * first of each. */
static void take_field(struct summary *s)
{
	const char *colon = memchr(s->field, ':', s->field_len);
	if (!colon)
		return;
	const char *name = s->field;
	size_t name_len = (size_t)(colon - name);
	const char *value = colon + 1;
	size_t len = s->field_len - name_len - 1;
	summary_trim(&name, &name_len);
	summary_trim(&value, &len);

#define IS(field) (name_len == strlen(field) && strncasecmp(name, field, name_len) == 0)
	if (IS("From") && !s->sender[0]) {
		set_address(s->sender, sizeof s->sender, value, len);
	} else if (IS("Return-Path") && !s->return_path[0]) {
		set_address(s->return_path, sizeof s->return_path, value, len);
	} else if (IS("Subject") && !s->subject[0]) {
		set(s->subject, sizeof s->subject, value, len);
	} else if (IS("Date") && !s->date[0]) {
		set(s->date, sizeof s->date, value, len);
	} else if (IS("Received") && !s->received[0]) {
		/* RFC 5321 4.4: "...; <date-time>" ends the trace line. */
		const char *semi = memrchr(value, ';', len);
		if (semi) {
			const char *when = semi + 1;
			size_t when_len = len - (size_t)(when - value);
			summary_trim(&when, &when_len);
			set(s->received, sizeof s->received, when, when_len);
		}
	}
#undef IS
	s->field_len = 0;
}

void summary_feed(struct summary *s, const char *text, size_t len)
{
	if (s->headers_done)
		return;
	if (len == 0) {
		summary_finish(s);
		s->headers_done = true;
		return;
	}
	if (!is_blank(text[0]))
		take_field(s);          /* a new field starts: the last is whole */
	size_t room = SUMMARY_FIELD_MAX - s->field_len;
	if (len > room)
		len = room;
	memcpy(s->field + s->field_len, text, len);
	s->field_len += len;
}

void summary_finish(struct summary *s)
{
	take_field(s);
}

const char *summary_sender(const struct summary *s)
{
	if (s->sender[0])
		return s->sender;
	return s->return_path[0] ? s->return_path : "(unknown sender)";
}

const char *summary_subject(const struct summary *s)
{
	return s->subject[0] ? s->subject : "(no subject)";
}

static int month_number(const char *name)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (strncasecmp(name, months + 3 * i, 3) == 0)
			return i;
	return -1;
}

/* Parse an RFC 5322 date-time ("Fri, 27 Nov 2026 04:29:10 +0100"). */
static bool summary_parse_date(const char *text, long long *when)
{
	const char *comma = strchr(text, ',');   /* the day name is optional */
	const char *p = comma ? comma + 1 : text;
	int day, year, hour, minute, second = 0, used = 0;
	char month[4];
	if (sscanf(p, " %2d %3s %4d %2d:%2d%n", &day, month, &year, &hour,
		   &minute, &used) != 5)
		return false;
	p += used;
	if (*p == ':' && sscanf(p, ":%2d%n", &second, &used) == 1)
		p += used;
	int mon = month_number(month);
	if (mon < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
	    second > 60)
		return false;
	if (year < 50)                  /* RFC 5322 4.3: obsolete 2-digit years */
		year += 2000;
	else if (year < 1000)
		year += 1900;

	/* "+hhmm"/"-hhmm"; obsolete zone names count as UTC (RFC 5322 4.3). */
	long offset = 0;
	while (*p == ' ')
		p++;
	int zone;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%4d%n", &zone, &used) == 1 &&
	    used == 4)
		offset = (*p == '-' ? -1 : 1) * ((zone / 100) * 3600L + (zone % 100) * 60L);

	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon, .tm_mday = day,
			 .tm_hour = hour, .tm_min = minute, .tm_sec = second };
	*when = (long long)timegm(&tm) - offset;
	return true;
}

void summary_when(const struct summary *s, char *buf, size_t size)
{
	const char *text = s->received[0] ? s->received : s->date;
	long long when;
	if (!text[0]) {
		snprintf(buf, size, "(unknown date)");
		return;
	}
	if (summary_parse_date(text, &when)) {
		time_t t = (time_t)when;
		struct tm tm;
		if (localtime_r(&t, &tm) && strftime(buf, size, "%Y-%m-%d %H:%M", &tm))
			return;
	}
	snprintf(buf, size, "%.24s", text);   /* not a date we know: as it is */
}
