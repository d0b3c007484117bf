/* config: see config.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "number.h"
#include "privilege.h"
#include "users.h"

/* How a value is stored in struct settings.  A number's default comes
 * from mail_limits.h, except MAIL_TIMEOUT's, which is the program's own. */
enum kind { TEXT, OFF, SIZE, INT, UNSIGNED, TIMEOUT, CHOICE };

/* The words a CHOICE setting takes; the value stored is the word's
 * index, so each list follows its enum in config.h. */
static const char *const yes_no[] = { "no", "yes", NULL };
static const char *const plaintext_auth_words[] = {
	"tls-or-loopback", "tls", "always", NULL };

struct option_spec {
	char flag;
	const char *env;
	enum kind kind;
	size_t offset;
	unsigned long long min, max, default_value;
	const char *help;
	const char *const *choices;     /* CHOICE only */
};

#define TEXT_OPT(f, e, field, h) \
	{ f, e, TEXT, offsetof(struct settings, field), 0, 0, 0, h, NULL }
#define NUM_OPT(f, e, kind, field, lo, hi, dflt, h) \
	{ f, e, kind, offsetof(struct settings, field), lo, hi, dflt, h, NULL }
#define CHOICE_OPT(f, e, field, words, dflt, h) \
	{ f, e, CHOICE, offsetof(struct settings, field), 0, 0, dflt, h, words }

static const struct option_spec options[] = {
	TEXT_OPT('r', "MAIL_ROOT", mail_root,
		 "mail root holding userinfo.txt and USERS/ (default: .)"),
	TEXT_OPT('d', "MAIL_DOMAIN", domain,
		 "domain in greetings and Received: (default: host name)"),
	NUM_OPT('s', "MAIL_MAX_SIZE", OFF, max_message_size, 1, 1ULL << 40,
		DEFAULT_MAX_MESSAGE_SIZE, "largest message in bytes"),
	NUM_OPT('n', "MAIL_MAX_RCPT", SIZE, max_recipients, 1, 100000,
		DEFAULT_MAX_RECIPIENTS, "recipients per message"),
	NUM_OPT('t', "MAIL_TIMEOUT", TIMEOUT, timeout_ms, 1, 86400, 0,
		"idle timeout in seconds"),
	TEXT_OPT('l', "MAIL_LOG", log_target,
		 "auto, stderr or syslog (default: auto)"),
	NUM_OPT('w', "MAIL_LOCK_WAIT", INT, lock_wait_ms, 0, 600000,
		DEFAULT_LOCK_WAIT_MS, "how long to wait for a busy mailbox, ms"),
	NUM_OPT('a', "MAIL_LOCK_STALE", INT, lock_stale_seconds, 1, 86400 * 7,
		DEFAULT_LOCK_STALE_SECONDS,
		"age in seconds after which another host's lock is stale"),
	NUM_OPT('D', "MAIL_AUTH_DELAY", INT, auth_delay_ms, 0, 60000,
		DEFAULT_AUTH_DELAY_MS, "delay after a failed login, ms"),
	NUM_OPT('e', "MAIL_MAX_ERRORS", UNSIGNED, max_errors, 1, 100000,
		DEFAULT_MAX_ERRORS, "bad commands before the session is ended"),
	TEXT_OPT('u', "MAIL_USER", run_as,
		 "user to switch to before touching the store (default: none)"),
	TEXT_OPT('P', "MAIL_PROXY_FROM", proxy_from,
		 "proxies (addresses, address/prefix) that must send a PROXY "
		 "header; no other peer is served (default: none)"),
	TEXT_OPT('H', "MAIL_HOSTNAME", hostname,
		 "this host's name in lock files (default: host name)"),
	TEXT_OPT('C', "MAIL_CRYPT_CHECK", crypt_check,
		 "program checking $-hashed passwords (default: crypt-check "
		 "beside this program)"),
	TEXT_OPT('R', "MAIL_RECORD", record_dir,
		 "existing directory to record each session into, as golden "
		 "test files (default: none)"),
	CHOICE_OPT('T', "MAIL_TLS", behind_tls, yes_no, 0,
		   "yes: a TLS engine in front encrypts this listener"),
	CHOICE_OPT('A', "MAIL_PLAINTEXT_AUTH", plaintext_auth,
		   plaintext_auth_words, PLAINTEXT_AUTH_TLS_OR_LOOPBACK,
		   "where AUTH PLAIN and LOGIN are offered: tls-or-loopback, "
		   "tls or always"),
	CHOICE_OPT('S', "MAIL_SUBMISSION", submission, yes_no, 0,
		   "yes: SMTP requires AUTH before MAIL (a port 587 listener)"),
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static unsigned long long default_of(const struct option_spec *o,
				     int default_timeout_seconds)
{
	return o->kind == TIMEOUT ? (unsigned long long)default_timeout_seconds :
	       o->default_value;
}

/* The usage goes to stderr only where log lines go: never to a client
 * that has fd 2 as its socket (syslog gets the one-line problem). */
static void usage(const char *program, int default_timeout_seconds)
{
	if (!log_uses_stderr())
		return;
	fprintf(stderr, "usage: %s [options]\n"
		"Speaks one session on stdin/stdout. Each option also reads "
		"its environment variable.\n", program);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
		if (o->kind == TEXT)
			fprintf(stderr, "  -%c VALUE  %-16s %s\n", o->flag,
				o->env, o->help);
		else if (o->kind == CHOICE)
			fprintf(stderr, "  -%c VALUE  %-16s %s (default: %s)\n",
				o->flag, o->env, o->help,
				o->choices[o->default_value]);
		else
			fprintf(stderr, "  -%c VALUE  %-16s %s (default: %llu)\n",
				o->flag, o->env, o->help,
				default_of(o, default_timeout_seconds));
	}
}

/* Store a number already checked against the option's range, which keeps
 * every value within its field's type. */
static void store_number(struct settings *s, const struct option_spec *o,
			 unsigned long long n)
{
	char *field = (char *)s + o->offset;
	switch (o->kind) {
	case OFF:      *(off_t *)field = (off_t)n; break;
	case SIZE:     *(size_t *)field = (size_t)n; break;
	case INT:      *(int *)field = (int)n; break;
	case UNSIGNED: *(unsigned *)field = (unsigned)n; break;
	case TIMEOUT:  *(int *)field = (int)n * 1000; break;
	case CHOICE:   *(unsigned *)field = (unsigned)n; break;
	case TEXT:     break;
	}
}

static bool set_value(struct settings *s, const struct option_spec *o,
		      const char *value)
{
	if (o->kind == TEXT) {
		if (!*value) {
			log_msg(LOG_ERR, "%s must not be empty", o->env);
			return false;
		}
		*(const char **)((char *)s + o->offset) = value;
		return true;
	}
	if (o->kind == CHOICE) {
		for (unsigned i = 0; o->choices[i]; i++)
			if (strcmp(value, o->choices[i]) == 0) {
				store_number(s, o, i);
				return true;
			}
		char words[80] = "";
		for (unsigned i = 0; o->choices[i]; i++)
			snprintf(words + strlen(words), sizeof words - strlen(words),
				 "%s%s", i ? ", " : "", o->choices[i]);
		log_msg(LOG_ERR, "%s (-%c) must be one of %s, not '%s'",
			o->env, o->flag, words, value);
		return false;
	}
	unsigned long long n;
	if (!parse_uint(value, o->max, &n) || n < o->min) {
		log_msg(LOG_ERR, "%s (-%c) must be a whole number from %llu "
			"to %llu, not '%s'", o->env, o->flag, o->min, o->max,
			value);
		return false;
	}
	store_number(s, o, n);
	return true;
}

static const struct option_spec *find_flag(char flag)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].flag == flag)
			return &options[i];
	return NULL;
}

static bool valid_log_target(const char *target)
{
	return target && (strcmp(target, "auto") == 0 ||
			  strcmp(target, "stderr") == 0 ||
			  strcmp(target, "syslog") == 0);
}

/* Where a problem with the settings is reported: the log target they name
 * (-l, else MAIL_LOG) if it is valid, else auto, which never writes to a
 * client on fd 2. */
static const char *early_log_target(int argc, char **argv)
{
	const char *target = getenv("MAIL_LOG");
	for (int i = 1; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "-l") == 0)
			target = argv[i + 1];
	return valid_log_target(target) ? target : "auto";
}

bool config_load(struct settings *s, int argc, char **argv,
		 const char *program, int default_timeout_seconds)
{
	static char host[256];
	log_init(program, early_log_target(argc, argv));
	*s = (struct settings){
		.mail_root = ".", .domain = NULL, .log_target = "auto",
		.run_as = NULL, .proxy_from = NULL, .hostname = NULL,
		.crypt_check = NULL, .record_dir = NULL,
	};
	for (size_t i = 0; i < N_OPTIONS; i++)
		store_number(s, &options[i],
			     default_of(&options[i], default_timeout_seconds));
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const char *value = getenv(options[i].env);
		if (value && !set_value(s, &options[i], value))
			return false;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct option_spec *o =
			arg[0] == '-' && arg[1] && !arg[2] ? find_flag(arg[1]) : NULL;
		if (!o) {
			log_msg(LOG_ERR, "unknown argument '%s'", arg);
			usage(program, default_timeout_seconds);
			return false;
		}
		if (i + 1 >= argc) {
			log_msg(LOG_ERR, "%s needs a value", arg);
			return false;
		}
		if (!set_value(s, o, argv[++i]))
			return false;
	}
	/* The host name is the default of two settings: asked for only
	 * when one of them is not given. */
	if (!s->domain || !s->hostname) {
		if (gethostname(host, sizeof host - 1) != 0 || !host[0])
			strcpy(host, "localhost");
		if (!s->domain)
			s->domain = host;
		if (!s->hostname)
			s->hostname = host;
	}
	/* The domain goes into every greeting and Received: line. */
	if (strlen(s->domain) > 253 ||
	    strspn(s->domain, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789.-[]:") != strlen(s->domain)) {
		log_msg(LOG_ERR, "MAIL_DOMAIN (-d) must be a host name or an "
			"address literal of at most 253 octets, not '%s'",
			s->domain);
		return false;
	}
	if (!valid_log_target(s->log_target)) {
		log_msg(LOG_ERR, "MAIL_LOG (-l) must be auto, stderr or syslog, "
			"not '%s'", s->log_target);
		return false;
	}
	return true;
}

bool config_apply(const struct settings *s, const char *program)
{
	log_init(program, s->log_target);
	lock_set_hostname(s->hostname);
	password_set_helper(s->crypt_check);
	/* "." (the default) is where the handler already is. */
	if (strcmp(s->mail_root, ".") != 0 && chdir(s->mail_root) < 0) {
		log_msg(LOG_ERR, "cannot enter mail root %s: %s", s->mail_root,
			strerror(errno));
		return false;
	}
	if (s->run_as)
		return privilege_drop(s->run_as);
	if (geteuid() == 0)
		log_msg(LOG_WARNING, "running as root; consider -u USER");
	return true;
}
