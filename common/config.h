/* config: the handlers' settings, each an environment variable (the way
 * inetd-style programs are configured) with a command-line flag twin.
 * A flag wins over the variable; a malformed value of either is a startup
 * error, never a silent default. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define EXIT_UNAVAILABLE 1
#define EXIT_BAD_SETTING 2

struct settings {
	const char *mail_root;     /* MAIL_ROOT        -r */
	const char *domain;        /* MAIL_DOMAIN      -d */
	off_t max_message_size;    /* MAIL_MAX_SIZE    -s  octets */
	size_t max_recipients;     /* MAIL_MAX_RCPT    -n */
	int timeout_ms;            /* MAIL_TIMEOUT     -t  given in seconds */
	const char *log_target;    /* MAIL_LOG         -l  auto|stderr|syslog */
	int lock_wait_ms;          /* MAIL_LOCK_WAIT   -w */
	int lock_stale_seconds;    /* MAIL_LOCK_STALE  -a */
	int auth_delay_ms;         /* MAIL_AUTH_DELAY  -D */
	unsigned max_errors;       /* MAIL_MAX_ERRORS  -e */
	const char *run_as;        /* MAIL_USER        -u */
	const char *proxy_from;    /* MAIL_PROXY_FROM  -P  trusted proxies */
	const char *hostname;      /* MAIL_HOSTNAME    -H  name in lock files */
};

/* Fill s from defaults, the environment, then argv.  On a bad setting it
 * prints the problem and the usage to stderr and returns false. */
bool config_load(struct settings *s, int argc, char **argv,
		 const char *program, int default_timeout_seconds);

/* chdir to the mail root, drop privileges if asked, set up logging. */
bool config_apply(const struct settings *s, const char *program);

#endif
