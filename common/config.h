/* config: the handlers' settings, each an environment variable (the way
 * inetd-style programs are configured) with a command-line flag twin.
 * A flag wins over the variable; a malformed value of either is a startup
 * error, never a silent default. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>

struct settings {
	const char *mail_root;     /* MAIL_ROOT        -r */
	const char *domain;        /* MAIL_DOMAIN      -d */
	long max_message_size;     /* MAIL_MAX_SIZE    -s  bytes */
	long max_recipients;       /* MAIL_MAX_RCPT    -n */
	long timeout;              /* MAIL_TIMEOUT     -t  seconds */
	const char *log_target;    /* MAIL_LOG         -l  auto|stderr|syslog */
	long lock_wait_ms;         /* MAIL_LOCK_WAIT   -w  milliseconds */
	long lock_stale;           /* MAIL_LOCK_STALE  -a  seconds */
	long auth_delay_ms;        /* MAIL_AUTH_DELAY  -D  milliseconds */
	long max_errors;           /* MAIL_MAX_ERRORS  -e */
	const char *run_as;        /* MAIL_USER        -u */
	const char *proxy_from;    /* MAIL_PROXY_FROM  -P  trusted proxies */
	const char *hostname;      /* MAIL_HOSTNAME    -H  name in lock files */
};

/* Fill s from defaults, the environment, then argv.  On a bad setting it
 * prints the problem and the usage to stderr and returns false. */
bool config_load(struct settings *s, int argc, char **argv,
		 const char *program, long default_timeout);

/* chdir to the mail root, drop privileges if asked, set up logging. */
bool config_apply(const struct settings *s, const char *program);

#endif
