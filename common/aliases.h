/* aliases: aliases.txt in the mail root, beside userinfo.txt.
 *
 * One alias per line, "name: target[, target...]"; blank lines and lines
 * starting with '#' are ignored.  A target is a user of userinfo.txt or
 * another alias; the name "*" is the catch-all, which takes every local
 * part that is neither a user nor an alias (for testing applications that
 * send to whatever their data holds).  Alias names match without regard
 * to ASCII case and may be UTF-8 (RFC 6531).
 *
 * The whole file is checked when it is loaded: a malformed line, a
 * duplicate name, a name that is also a user, a target that is neither a
 * user nor an alias, or a loop among aliases is logged with its line
 * number, and then no alias resolves (the sender is told to retry) until
 * the file is mended. */
#ifndef ALIASES_H
#define ALIASES_H

#include <stdbool.h>
#include <stddef.h>

#include "mail_limits.h"

#define ALIASES_FILE "aliases.txt"

struct alias {
	char name[USER_NAME_MAX + 1];
	size_t first, count;            /* its targets: targets[first...] */
	unsigned line;                  /* where it was defined */
};

struct aliases {
	bool loaded;
	bool broken;                    /* the file has errors (logged) */
	struct alias *list;
	size_t n, cap;
	char (*targets)[USER_NAME_MAX + 1];
	size_t n_targets, cap_targets;
};

enum aliases_result { ALIASES_FOUND, ALIASES_NOT_FOUND, ALIASES_FILE_ERROR };

/* The users an alias named local delivers to, else (if catch_all) those
 * of the catch-all (the caller has found no user of that name), handed to add in
 * order; where two aliases lead to one user, add sees it twice.  The file
 * is loaded and checked (users against users_file) at the first call.  add
 * returns false to stop (out of memory): then ALIASES_FILE_ERROR. */
enum aliases_result aliases_resolve(struct aliases *a, const char *users_file,
				    const char *local, bool catch_all,
				    bool (*add)(void *ctx, const char *user),
				    void *ctx);

void aliases_free(struct aliases *a);

#endif
