/* mail-client: the assignment's terminal mail client.  Asks for a user
 * name and password, then offers Mail Sending (SMTP), Mail Management
 * (POP3) and Exit until the user leaves.  See mail-client.1. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "console.h"
#include "credentials.h"
#include "number.h"
#include "pop3_session.h"
#include "smtp_session.h"

#define DEFAULT_SMTP_PORT "2525"
#define DEFAULT_POP3_PORT "1110"

struct session {
	const char *host;
	const char *smtp_port;
	const char *pop3_port;
	struct credentials cred;
};

static void send_mail(struct session *s)
{
	struct message m;
	if (compose_read(&m))
		smtp_send(s->host, s->smtp_port, &m);
	message_free(&m);
}

static void manage_mail(struct session *s)
{
	pop3_manage(s->host, s->pop3_port, &s->cred);
}

static const struct choice {
	const char *key;
	const char *label;
	void (*run)(struct session *s);         /* NULL: leave the program */
} menu[] = {
	{ "1", "Mail Sending",    send_mail },
	{ "2", "Mail Management", manage_mail },
	{ "3", "Exit",            NULL },
};

#define MENU_SIZE (sizeof menu / sizeof menu[0])

static const struct choice *ask_choice(void)
{
	console_printf("\n");
	for (size_t i = 0; i < MENU_SIZE; i++)
		console_printf("%s. %s\n", menu[i].key, menu[i].label);
	char answer[32];
	if (console_ask("Choose an option: ", answer, sizeof answer) == INPUT_OK) {
		const char *key = answer + strspn(answer, " \t");
		size_t len = strcspn(key, " \t");
		for (size_t i = 0; i < MENU_SIZE; i++)
			if (strlen(menu[i].key) == len &&
			    strncmp(key, menu[i].key, len) == 0 &&
			    key[len + strspn(key + len, " \t")] == '\0')
				return &menu[i];
	}
	console_printf("Invalid choice: type 1, 2 or 3.\n");
	return NULL;
}

static bool port_valid(const char *s)
{
	unsigned long long port;
	return parse_uint(s, 65535, &port) && port >= 1;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: mail-client SERVER [SMTP_PORT [POP3_PORT]]\n"
		    "  SERVER     host name or IP address of the mail server\n"
		    "  SMTP_PORT  default " DEFAULT_SMTP_PORT "\n"
		    "  POP3_PORT  default " DEFAULT_POP3_PORT "\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argc > 4 || argv[1][0] == '\0' || argv[1][0] == '-') {
		usage(stderr);
		return 2;
	}
	struct session s = {
		.host = argv[1],
		.smtp_port = argc > 2 ? argv[2] : DEFAULT_SMTP_PORT,
		.pop3_port = argc > 3 ? argv[3] : DEFAULT_POP3_PORT,
	};
	if (!port_valid(s.smtp_port) || !port_valid(s.pop3_port)) {
		fprintf(stderr, "mail-client: a port is a number from 1 to 65535\n");
		usage(stderr);
		return 2;
	}
	/* A server that hangs up must not kill us: writes then fail with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	console_init();

	credentials_ask(&s.cred, false);
	for (;;) {
		const struct choice *c = ask_choice();
		if (!c)
			continue;
		if (!c->run)
			break;
		c->run(&s);
	}
	credentials_forget(&s.cred);
	console_printf("Goodbye.\n");
	writer_flush(console_out());
	return 0;
}
