/* users: see users.h. */
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"

bool username_valid(const char *name, size_t len)
{
	if (len == 0 || len > USER_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split one line into name and password fields; false if malformed. */
static bool parse_line(char *text, size_t len, char **name, size_t *name_len,
		       char **pass, size_t *pass_len)
{
	size_t i = 0;
	while (i < len && is_space(text[i]))
		i++;
	*name = text + i;
	while (i < len && !is_space(text[i]))
		i++;
	*name_len = (size_t)(text + i - *name);
	while (i < len && is_space(text[i]))
		i++;
	*pass = text + i;
	while (i < len && !is_space(text[i]))
		i++;
	*pass_len = (size_t)(text + i - *pass);
	while (i < len && is_space(text[i]))
		i++;
	return i == len && *name_len > 0 && *pass_len > 0 &&
	       *pass_len <= USER_PASSWORD_MAX &&
	       username_valid(*name, *name_len);
}

static bool blank_or_comment(const char *text, size_t len)
{
	size_t i = 0;
	while (i < len && is_space(text[i]))
		i++;
	return i == len || text[i] == '#';
}

/* Which line of the users file a scan looks for. */
enum match {
	MATCH_NAME,             /* the user name */
	MATCH_NAME_ANY_CASE,    /* the name in any ASCII case */
	MATCH_FIRST,            /* the first user */
	MATCH_NAME_FOR_LOGIN,   /* the user name; until it is found, the
				 * password field holds the first crypt hash
				 * seen */
};

static bool matches(enum match how, const char *name, size_t want,
		    const char *user, size_t user_len)
{
	switch (how) {
	case MATCH_NAME:
	case MATCH_NAME_FOR_LOGIN:
		return user_len == want && memcmp(user, name, want) == 0;
	case MATCH_NAME_ANY_CASE:
		return user_len == want && strncasecmp(user, name, want) == 0;
	case MATCH_FIRST:
		return true;
	}
	return false;
}

static void copy_field(char *to, const char *from, size_t len)
{
	memcpy(to, from, len);
	to[len] = '\0';
}

/* Scan the users file for the line how and name say; on a match copy its
 * name (found, if not NULL) and its password field (password, if not
 * NULL) out. */
static enum users_result scan(const char *path, const char *name,
			      enum match how, char found[USER_NAME_MAX + 1],
			      char password[USER_PASSWORD_MAX + 1])
{
	/* openat: musl's open() follows O_CLOEXEC with an fcntl(F_SETFD),
	 * for kernels before 2.6.23; its openat() does not. */
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_msg(LOG_ERR, "cannot open users file %s: %s", path,
			strerror(errno));
		return USERS_FILE_ERROR;
	}
	static struct line_reader reader;
	reader_init(&reader, fd, -1, NULL);
	enum users_result result = USERS_NOT_FOUND;
	size_t want = name ? strlen(name) : 0;
	bool keep_hash = how == MATCH_NAME_FOR_LOGIN;
	if (keep_hash)
		password[0] = '\0';
	unsigned long lineno = 0;
	struct line line;
	enum line_status st;
	while ((st = reader_next(&reader, 1024, &line)) == LINE_OK) {
		lineno++;
		if (!line.complete) {
			log_msg(LOG_WARNING, "%s:%lu: line too long, ignored",
				path, lineno);
			if (reader_skip_rest(&reader) != LINE_OK)
				break;
			continue;
		}
		if (blank_or_comment(line.text, line.len))
			continue;
		char *user, *pass;
		size_t user_len, pass_len;
		if (line.has_nul || !parse_line(line.text, line.len, &user,
						&user_len, &pass, &pass_len)) {
			log_msg(LOG_WARNING, "%s:%lu: malformed line, ignored "
				"(expected: name password)", path, lineno);
			continue;
		}
		if (matches(how, name, want, user, user_len)) {
			if (found)
				copy_field(found, user, user_len);
			if (password)
				copy_field(password, pass, pass_len);
			result = USERS_FOUND;
			break;
		}
		if (keep_hash && pass[0] == '$') {
			copy_field(password, pass, pass_len);
			keep_hash = false;
		}
	}
	if (st == LINE_ERROR)
		result = USERS_FILE_ERROR;
	close(fd);
	return result;
}

enum users_result users_lookup(const char *path, const char *name,
			       char password[USER_PASSWORD_MAX + 1])
{
	return scan(path, name, MATCH_NAME, NULL, password);
}

enum users_result users_first(const char *path, char name[USER_NAME_MAX + 1])
{
	return scan(path, NULL, MATCH_FIRST, name, NULL);
}

enum users_result users_lookup_any_case(const char *path, const char *name)
{
	return scan(path, name, MATCH_NAME_ANY_CASE, NULL, NULL);
}

enum users_result users_lookup_for_login(const char *path, const char *name,
				       char password[USER_PASSWORD_MAX + 1])
{
	return scan(path, name, MATCH_NAME_FOR_LOGIN, NULL, password);
}
