/* privilege: see privilege.h. */
#include "privilege.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define GROUPS_MAX 256

#ifdef __GLIBC__
static bool local_account(const char *name, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	bool found = false;
	while (f && !found && (pw = fgetpwent(f)) != NULL) {
		if (strcmp(pw->pw_name, name) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The primary group, then every /etc/group entry listing name; -1 when
 * there are more than fit. */
static int local_groups(const char *name, gid_t primary,
			gid_t groups[GROUPS_MAX])
{
	int n = 0;
	groups[n++] = primary;
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	while (f && n >= 0 && (gr = fgetgrent(f)) != NULL) {
		for (char **m = gr->gr_mem; *m && gr->gr_gid != primary; m++) {
			if (strcmp(*m, name) != 0)
				continue;
			if (n == GROUPS_MAX)
				n = -1;
			else
				groups[n++] = gr->gr_gid;
			break;
		}
	}
	if (f)
		fclose(f);
	return n;
}
#else
static bool local_account(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return false;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return true;
}

/* The primary group and every group listing name; -1 when there are more
 * than fit. */
static int local_groups(const char *name, gid_t primary,
			gid_t groups[GROUPS_MAX])
{
	int n = GROUPS_MAX;
	return getgrouplist(name, primary, groups, &n) < 0 ? -1 : n;
}
#endif

bool privilege_drop(const char *name)
{
	uid_t uid;
	gid_t gid, groups[GROUPS_MAX];
	if (!local_account(name, &uid, &gid)) {
		log_msg(LOG_ERR, "no such user to run as: %s (not in /etc/passwd)",
			name);
		return false;
	}
	/* Already that user (a unit with User= and MAIL_USER both set):
	 * nothing to drop, and setgroups() would fail unprivileged. */
	if (getuid() == uid && geteuid() == uid && getgid() == gid &&
	    getegid() == gid)
		return true;
	int n = local_groups(name, gid, groups);
	if (n < 0) {
		log_msg(LOG_ERR, "cannot switch to user %s: in more than %d "
			"groups", name, GROUPS_MAX);
		return false;
	}
	if (setgroups((size_t)n, groups) < 0 || setgid(gid) < 0 ||
	    setuid(uid) < 0) {
		log_msg(LOG_ERR, "cannot switch to user %s: %s", name,
			strerror(errno));
		return false;
	}
	return true;
}
