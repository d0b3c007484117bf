/* fuzz_users: the users-file parser (users_lookup) over arbitrary file
 * contents, checked against a plain reading of the documented format:
 * one `name<spaces>password` per line (spaces: blank, tab, CR), blank
 * lines and '#' comments ignored, malformed lines (a third field, a bad
 * name, a password over 255 octets, a NUL, a line over 1024 octets)
 * skipped, the first line naming the user wins.  The names looked up are
 * the first word of each of the first lines, and some fixed ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "users.h"

#define LINE_LIMIT 1024         /* users_lookup's reader limit */
#define MAX_NAMES 16

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Fields of one line; false if the line is not a user's. */
static bool parse(const char *line, size_t len, const char **name,
		  size_t *name_len, const char **pass, size_t *pass_len)
{
	size_t i = 0;
	while (i < len && is_space(line[i]))
		i++;
	if (i == len || line[i] == '#' || memchr(line, '\0', len))
		return false;
	*name = line + i;
	while (i < len && !is_space(line[i]))
		i++;
	*name_len = (size_t)(line + i - *name);
	while (i < len && is_space(line[i]))
		i++;
	*pass = line + i;
	while (i < len && !is_space(line[i]))
		i++;
	*pass_len = (size_t)(line + i - *pass);
	while (i < len && is_space(line[i]))
		i++;
	return i == len && *pass_len > 0 && *pass_len <= USER_PASSWORD_MAX &&
	       username_valid(*name, *name_len);
}

/* The expected answer for name, by a plain walk over the lines. */
static enum users_result expected(const char *text, size_t len,
				  const char *name, char *password)
{
	size_t want = strlen(name);
	for (size_t at = 0; at < len;) {
		const char *lf = memchr(text + at, '\n', len - at);
		size_t line_len = lf ? (size_t)(lf - (text + at)) : len - at;
		size_t next = at + line_len + 1;
		/* The reader's limit: 1024 octets before the CR LF or LF,
		 * or before the end of the file. */
		size_t limit = LINE_LIMIT + (lf && line_len > 0 &&
					     text[at + line_len - 1] == '\r');
		const char *n, *p;
		size_t nl, pl;
		if (line_len <= limit &&
		    parse(text + at, line_len, &n, &nl, &p, &pl) &&
		    nl == want && memcmp(n, name, want) == 0) {
			memcpy(password, p, pl);
			password[pl] = '\0';
			return USERS_FOUND;
		}
		at = next;
	}
	return USERS_NOT_FOUND;
}

static void check(const char *path, const char *text, size_t len,
		  const char *name)
{
	char got[USER_PASSWORD_MAX + 1], want[USER_PASSWORD_MAX + 1];
	enum users_result r = users_lookup(path, name, got);
	enum users_result e = expected(text, len, name, want);
	if (r != e)
		fuzz_fail("lookup of '%s': result %d, expected %d", name, r, e);
	if (r == USERS_FOUND && strcmp(got, want) != 0)
		fuzz_fail("lookup of '%s': password '%s', expected '%s'", name,
			  got, want);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Malformed lines are logged: keep that off the fuzzer's output. */
	log_init("fuzz-users", getenv("MAIL_LOG") ? getenv("MAIL_LOG") : "stderr");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	int fd = fuzz_memory_file(data, size);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	static const char *const fixed[] = { "alice", "bob", "x", "-" };
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		check(path, text, size, fixed[i]);
	/* The first word of each of the first lines, if it is a name. */
	size_t names = 0;
	for (size_t at = 0; at < size && names < MAX_NAMES; names++) {
		while (at < size && is_space(text[at]))
			at++;
		size_t w = at;
		while (w < size && !is_space(text[w]) && text[w] != '\n')
			w++;
		char name[USER_NAME_MAX + 1];
		if (w > at && username_valid(text + at, w - at)) {
			memcpy(name, text + at, w - at);
			name[w - at] = '\0';
			check(path, text, size, name);
		}
		const char *lf = memchr(text + at, '\n', size - at);
		at = lf ? (size_t)(lf - text) + 1 : size;
	}
	close(fd);
	return 0;
}
