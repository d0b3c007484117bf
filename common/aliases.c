/* aliases: see aliases.h. */
#include "aliases.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "array.h"
#include "lineio.h"
#include "log.h"
#include "users.h"
#include "utf8.h"

#define ALIASES_LINE_MAX 1024
#define CATCH_ALL "*"

static const struct alias *find(const struct aliases *a, const char *name,
				size_t len)
{
	for (size_t i = 0; i < a->n; i++)
		if (strlen(a->list[i].name) == len &&
		    strncasecmp(a->list[i].name, name, len) == 0)
			return &a->list[i];
	return NULL;
}

static void complain(struct aliases *a, unsigned line, const char *what,
		     const char *name)
{
	log_msg(LOG_ERR, "%s:%u: %s%s%s", ALIASES_FILE, line, what,
		name ? ": " : "", name ? name : "");
	a->broken = true;
}

/* A name or a target: printable, no space, colon, comma or '#'; 8-bit
 * bytes are allowed for UTF-8 names. */
static bool word_valid(const char *w, size_t len)
{
	if (len == 0 || len > USER_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];
		if (c <= ' ' || c == 0x7f || c == ':' || c == ',' || c == '#')
			return false;
	}
	return true;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	*end = '\0';
	return s;
}

/* One "name: target, ..." line (NUL-terminated, at most the line limit). */
static void parse_line(struct aliases *a, char *text, unsigned line)
{
	char *colon = strchr(text, ':');
	if (!colon) {
		complain(a, line, "malformed line (expected: name: user, ...)",
			 NULL);
		return;
	}
	char *name = trim(text, colon);
	if (!word_valid(name, strlen(name)) || !utf8_valid(name)) {
		complain(a, line, "not a valid alias name", name);
		return;
	}
	if (find(a, name, strlen(name))) {
		complain(a, line, "alias defined twice", name);
		return;
	}
	if (!array_grow(&a->list, &a->cap, a->n + 1, sizeof *a->list, 16)) {
		complain(a, line, "out of memory", NULL);
		return;
	}
	struct alias *al = &a->list[a->n];
	memcpy(al->name, name, strlen(name) + 1);
	al->first = a->n_targets;
	al->count = 0;
	al->line = line;
	char *rest = colon + 1;
	for (;;) {
		char *comma = strchr(rest, ',');
		char *end = comma ? comma : rest + strlen(rest);
		char *target = trim(rest, end);
		if (!*target) {
			complain(a, line, "empty target", NULL);
			return;
		}
		if (!word_valid(target, strlen(target)) ||
		    strcmp(target, CATCH_ALL) == 0) {
			complain(a, line, "not a valid target", target);
			return;
		}
		if (!array_grow(&a->targets, &a->cap_targets,
				a->n_targets + 1, sizeof *a->targets, 16)) {
			complain(a, line, "out of memory", NULL);
			return;
		}
		memcpy(a->targets[a->n_targets++], target, strlen(target) + 1);
		al->count++;
		if (!comma)
			break;
		rest = comma + 1;
	}
	a->n++;
}

/* Every target is an alias or a user; no alias is also a user. */
static void check_names(struct aliases *a, const char *users_file)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct alias *al = &a->list[i];
		if (strcmp(al->name, CATCH_ALL) != 0 &&
		    username_valid(al->name, strlen(al->name)) &&
		    users_lookup_any_case(users_file, al->name) == USERS_FOUND)
			complain(a, al->line, "alias has the name of a user",
				 al->name);
		for (size_t t = al->first; t < al->first + al->count; t++) {
			const char *target = a->targets[t];
			if (find(a, target, strlen(target)))
				continue;
			enum users_result r = username_valid(target, strlen(target)) ?
				users_lookup(users_file, target, NULL) :
				USERS_NOT_FOUND;
			if (r == USERS_FILE_ERROR)
				a->broken = true;
			else if (r == USERS_NOT_FOUND)
				complain(a, al->line, "no such user or alias",
					 target);
		}
	}
}

/* Depth-first walk marking aliases in progress: meeting one again is a
 * loop. */
static bool loops(struct aliases *a, size_t i, unsigned char *mark)
{
	if (mark[i] == 2)
		return false;
	if (mark[i] == 1) {
		complain(a, a->list[i].line, "alias loop through",
			 a->list[i].name);
		return true;
	}
	mark[i] = 1;
	const struct alias *al = &a->list[i];
	for (size_t t = al->first; t < al->first + al->count; t++) {
		const struct alias *next = find(a, a->targets[t],
						strlen(a->targets[t]));
		if (next && loops(a, (size_t)(next - a->list), mark))
			return true;
	}
	mark[i] = 2;
	return false;
}

static void check_loops(struct aliases *a)
{
	unsigned char *mark = calloc(a->n + 1, 1);
	if (!mark) {
		a->broken = true;
		return;
	}
	for (size_t i = 0; i < a->n; i++)
		if (loops(a, i, mark))
			break;
	free(mark);
}

static void load(struct aliases *a, const char *users_file)
{
	a->loaded = true;
	int fd = open(ALIASES_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			log_msg(LOG_ERR, "cannot open %s: %s", ALIASES_FILE,
				strerror(errno));
			a->broken = true;
		}
		return;
	}
	static struct line_reader reader;
	reader_init(&reader, fd, -1, NULL);
	struct line l;
	enum line_status st;
	unsigned line = 0;
	while ((st = reader_next(&reader, ALIASES_LINE_MAX, &l)) == LINE_OK) {
		line++;
		if (!l.complete || l.has_nul) {
			complain(a, line, l.has_nul ? "NUL byte" : "line too long",
				 NULL);
			if (!l.complete && reader_skip_rest(&reader) != LINE_OK)
				break;
			continue;
		}
		char text[ALIASES_LINE_MAX + 1];
		memcpy(text, l.text, l.len);
		text[l.len] = '\0';
		char *start = trim(text, text + l.len);
		if (*start && *start != '#')
			parse_line(a, start, line);
	}
	if (st == LINE_ERROR) {
		log_msg(LOG_ERR, "cannot read %s: %s", ALIASES_FILE,
			strerror(errno));
		a->broken = true;
	}
	close(fd);
	/* Every problem but a second loop is reported at once, so one edit
	 * can mend most of them. */
	check_names(a, users_file);
	check_loops(a);
}

/* Hand the users al leads to to add, each once. */
static bool expand(const struct aliases *a, const struct alias *al,
		   bool (*add)(void *ctx, const char *user), void *ctx)
{
	for (size_t t = al->first; t < al->first + al->count; t++) {
		const char *target = a->targets[t];
		const struct alias *next = find(a, target, strlen(target));
		if (next ? !expand(a, next, add, ctx) : !add(ctx, target))
			return false;
	}
	return true;
}

enum aliases_result aliases_resolve(struct aliases *a, const char *users_file,
				    const char *local, bool catch_all,
				    bool (*add)(void *ctx, const char *user),
				    void *ctx)
{
	if (!a->loaded)
		load(a, users_file);
	if (a->broken)
		return ALIASES_FILE_ERROR;
	const struct alias *al = find(a, local, strlen(local));
	if (!al && catch_all)
		al = find(a, CATCH_ALL, strlen(CATCH_ALL));
	if (!al)
		return ALIASES_NOT_FOUND;
	return expand(a, al, add, ctx) ? ALIASES_FOUND : ALIASES_FILE_ERROR;
}

void aliases_free(struct aliases *a)
{
	free(a->list);
	free(a->targets);
	memset(a, 0, sizeof *a);
}
