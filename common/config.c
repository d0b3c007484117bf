/* config: see config.h. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

enum kind { TEXT, INT, SECONDS_AS_MS, SIZE, OFF, UNSIGNED };

struct option_spec {
	char flag;
	const char *env;
	enum kind kind;
	size_t offset;
	long min, max;
	const char *help;
};

#define TEXT_OPT(f, e, field, h) \
	{ f, e, TEXT, offsetof(struct settings, field), 0, 0, h }
#define NUM_OPT(f, e, kind, field, lo, hi, h) \
	{ f, e, kind, offsetof(struct settings, field), lo, hi, h }

static const struct option_spec options[] = {
	TEXT_OPT('r', "MAIL_ROOT", mail_root,
		 "mail root holding userinfo.txt and USERS/ (default: .)"),
	TEXT_OPT('d', "MAIL_DOMAIN", domain,
		 "domain in greetings and Received: (default: host name)"),
	NUM_OPT('s', "MAIL_MAX_SIZE", OFF, max_message_size, 1, 1L << 40,
		"largest message in bytes (default: 10485760)"),
	NUM_OPT('n', "MAIL_MAX_RCPT", SIZE, max_recipients, 1, 100000,
		"recipients per message (default: 100)"),
	NUM_OPT('t', "MAIL_TIMEOUT", SECONDS_AS_MS, timeout_ms, 1, 86400,
		"idle timeout in seconds (default: SMTP 300, POP3 600)"),
	TEXT_OPT('l', "MAIL_LOG", log_target,
		 "auto, stderr or syslog (default: auto)"),
	NUM_OPT('w', "MAIL_LOCK_WAIT", INT, lock_wait_ms, 0, 600000,
		"how long to wait for a busy mailbox, ms (default: 10000)"),
	NUM_OPT('a', "MAIL_LOCK_STALE", INT, lock_stale_seconds, 1, 86400 * 7,
		"age in seconds after which any lock is stale (default: 1800)"),
	NUM_OPT('D', "MAIL_AUTH_DELAY", INT, auth_delay_ms, 0, 60000,
		"delay after a failed login, ms (default: 1000)"),
	NUM_OPT('e', "MAIL_MAX_ERRORS", UNSIGNED, max_errors, 1, 100000,
		"bad commands before the session is ended (default: 20)"),
	TEXT_OPT('u', "MAIL_USER", run_as,
		 "user to switch to before touching the store"),
	TEXT_OPT('P', "MAIL_PROXY_FROM", proxy_from,
		 "proxies (addresses, address/prefix) that must send a PROXY "
		 "header; no other peer is served (default: none)"),
	TEXT_OPT('H', "MAIL_HOSTNAME", hostname,
		 "this host's name in lock files (default: host name)"),
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static void usage(const char *program)
{
	fprintf(stderr, "usage: %s [options]\n"
		"Speaks one session on stdin/stdout. Each option also reads "
		"its environment variable.\n", program);
	for (size_t i = 0; i < N_OPTIONS; i++)
		fprintf(stderr, "  -%c VALUE  %-16s %s\n", options[i].flag,
			options[i].env, options[i].help);
}

static bool set_value(struct settings *s, const struct option_spec *o,
		      const char *value, const char *program)
{
	char *field = (char *)s + o->offset;
	if (o->kind == TEXT) {
		if (!*value) {
			fprintf(stderr, "%s: %s must not be empty\n", program,
				o->env);
			return false;
		}
		*(const char **)field = value;
		return true;
	}
	char *end;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < o->min || n > o->max) {
		fprintf(stderr, "%s: %s (-%c) must be a whole number from %ld "
			"to %ld, not '%s'\n", program, o->env, o->flag, o->min,
			o->max, value);
		return false;
	}
	switch (o->kind) {
	case INT: *(int *)field = (int)n; break;
	case SECONDS_AS_MS: *(int *)field = (int)n * 1000; break;
	case SIZE: *(size_t *)field = (size_t)n; break;
	case OFF: *(off_t *)field = (off_t)n; break;
	case UNSIGNED: *(unsigned *)field = (unsigned)n; break;
	case TEXT: break;
	}
	return true;
}

static const struct option_spec *find_flag(char flag)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].flag == flag)
			return &options[i];
	return NULL;
}

bool config_load(struct settings *s, int argc, char **argv,
		 const char *program, int default_timeout_seconds)
{
	static char host[256];
	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		strcpy(host, "localhost");
	*s = (struct settings){
		.mail_root = ".", .domain = host,
		.max_message_size = 10485760, .max_recipients = 100,
		.timeout_ms = default_timeout_seconds * 1000, .log_target = "auto",
		.lock_wait_ms = 10000, .lock_stale_seconds = 1800,
		.auth_delay_ms = 1000, .max_errors = 20, .run_as = NULL,
		.proxy_from = NULL, .hostname = host,
	};
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const char *value = getenv(options[i].env);
		if (value && !set_value(s, &options[i], value, program))
			return false;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct option_spec *o =
			arg[0] == '-' && arg[1] && !arg[2] ? find_flag(arg[1]) : NULL;
		if (!o) {
			fprintf(stderr, "%s: unknown argument '%s'\n", program, arg);
			usage(program);
			return false;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: %s needs a value\n", program, arg);
			return false;
		}
		if (!set_value(s, o, argv[++i], program))
			return false;
	}
	/* The domain goes into every greeting and Received: line. */
	if (strlen(s->domain) > 253 ||
	    strspn(s->domain, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789.-[]:") != strlen(s->domain)) {
		fprintf(stderr, "%s: MAIL_DOMAIN (-d) must be a host name or an "
			"address literal of at most 253 octets, not '%s'\n",
			program, s->domain);
		return false;
	}
	if (strcmp(s->log_target, "auto") && strcmp(s->log_target, "stderr") &&
	    strcmp(s->log_target, "syslog")) {
		fprintf(stderr, "%s: MAIL_LOG (-l) must be auto, stderr or "
			"syslog, not '%s'\n", program, s->log_target);
		return false;
	}
	return true;
}

/* The account to run as is a local system account: read /etc/passwd
 * directly instead of asking NSS (getpwnam).  The handlers are linked
 * statically, and a static binary cannot load NSS modules safely: asked
 * for a name that "files" lacks, glibc then dlopens the next source
 * (e.g. systemd) and the process crashes. */
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

static bool drop_privileges(const char *name)
{
	uid_t uid;
	gid_t gid;
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
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		log_msg(LOG_ERR, "cannot switch to user %s: %s", name,
			strerror(errno));
		return false;
	}
	return true;
}

bool config_apply(const struct settings *s, const char *program)
{
	log_init(program, s->log_target);
	lock_set_hostname(s->hostname);
	if (chdir(s->mail_root) < 0) {
		log_msg(LOG_ERR, "cannot enter mail root %s: %s", s->mail_root,
			strerror(errno));
		return false;
	}
	if (s->run_as)
		return drop_privileges(s->run_as);
	if (geteuid() == 0)
		log_msg(LOG_WARNING, "running as root; consider -u USER");
	return true;
}
