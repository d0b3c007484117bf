/* pop3_session: see pop3_session.h.  RFC 1939. */
#include "pop3_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console.h"
#include "net.h"
#include "number.h"
#include "summary.h"

/* RFC 2449 4: a status line is at most 512 octets with CR LF. */
#define STATUS_LINE_MAX 510
/* The largest message number the menu accepts. */
#define MESSAGE_NUMBER_MAX 999999999

struct pop3 {
	struct conn conn;
	bool mid_line;          /* inside an over-long line of a data block */
	char status[STATUS_LINE_MAX + 1];   /* the last +OK / -ERR line */
};

enum status { POP3_OK, POP3_ERR, POP3_BROKEN };

/* The status line answering the last command. */
static enum status read_status(struct pop3 *p)
{
	struct line line;
	if (!conn_read(&p->conn, STATUS_LINE_MAX, &line))
		return POP3_BROKEN;
	memcpy(p->status, line.text, line.len);
	p->status[line.len] = '\0';
	if (!line.complete)
		reader_skip_rest(&p->conn.in);
	if (strncasecmp(p->status, "+OK", 3) == 0)
		return POP3_OK;
	if (strncasecmp(p->status, "-ERR", 4) == 0)
		return POP3_ERR;
	conn_unexpected(&p->conn, &line);
	return POP3_BROKEN;
}

static void show_status(const struct pop3 *p)
{
	console_put_safe(p->status, strlen(p->status));
	console_printf("\n");
}

enum data { DATA_LINE, DATA_END, DATA_BROKEN };

/* The next line (or piece of an over-long line) of a multi-line response,
 * with the dot-stuffing undone; *first tells whether it starts a line. */
static enum data read_data(struct pop3 *p, struct line *line, bool *first)
{
	if (!conn_read(&p->conn, LINEIO_BUFSIZE - 2, line))
		return DATA_BROKEN;
	*first = !p->mid_line;
	p->mid_line = !line->complete;
	if (*first && line->len > 0 && line->text[0] == '.') {
		if (line->len == 1 && line->complete)
			return DATA_END;
		line->text++;
		line->len--;
	}
	return DATA_LINE;
}

/* Send "VERB" or "VERB arg" and read its status line. */
static enum status command(struct pop3 *p, const char *verb, const char *arg)
{
	if (arg)
		conn_send(&p->conn, "%s %s", verb, arg);
	else
		conn_send(&p->conn, "%s", verb);
	return read_status(p);
}

/* ---- logging in ---- */

static void say_goodbye_quietly(struct pop3 *p)
{
	struct line line;
	conn_send(&p->conn, "QUIT");
	reader_next(&p->conn.in, STATUS_LINE_MAX, &line);
	conn_close(&p->conn);
}

/* Connect and authenticate, asking for the credentials again after each
 * refusal.  True when logged in; the greeting has been shown. */
static bool log_in(struct pop3 *p, const char *host, const char *port,
		   struct credentials *cred)
{
	for (;;) {
		if (!conn_open(&p->conn, "POP3", host, port))
			return false;
		p->mid_line = false;
		char greeting[STATUS_LINE_MAX + 1];
		enum status st = read_status(p);
		if (st == POP3_ERR) {
			console_printf("The POP3 server refused the connection: ");
			show_status(p);
		}
		if (st != POP3_OK) {
			conn_close(&p->conn);
			return false;
		}
		memcpy(greeting, p->status, sizeof greeting);

		st = command(p, "USER", cred->user);
		if (st == POP3_OK)
			st = command(p, "PASS", cred->password);
		if (st == POP3_OK) {
			console_put_safe(greeting, strlen(greeting));
			console_printf("\n");
			return true;
		}
		if (st == POP3_BROKEN) {
			conn_close(&p->conn);
			return false;
		}
		console_printf("Login failed: ");
		show_status(p);
		say_goodbye_quietly(p);
		if (!credentials_ask(cred, true))
			return false;
	}
}

/* ---- the mail list ---- */

/* Print text cut or padded to exactly width columns (bytes, near enough). */
static void put_column(const char *text, size_t width)
{
	size_t len = strlen(text);
	if (len > width)
		len = width;
	console_put_safe(text, len);
	for (size_t i = len; i < width + 2; i++)
		console_printf(" ");
}

/* Fetch message n's headers (TOP n 0, or RETR where TOP is missing - it is
 * optional in RFC 1939) and print its line of the list. */
static bool list_one(struct pop3 *p, unsigned long n)
{
	char number[24], top_args[32];
	snprintf(number, sizeof number, "%lu", n);
	snprintf(top_args, sizeof top_args, "%lu 0", n);
	enum status st = command(p, "TOP", top_args);
	if (st == POP3_ERR)
		st = command(p, "RETR", number);
	if (st == POP3_BROKEN)
		return false;
	console_printf("%3lu. ", n);
	if (st == POP3_ERR) {
		show_status(p);
		return true;
	}
	struct summary s;
	summary_init(&s);
	struct line line;
	bool first;
	enum data d;
	while ((d = read_data(p, &line, &first)) == DATA_LINE)
		if (first)
			summary_feed(&s, line.text, line.len);
	if (d == DATA_BROKEN)
		return false;
	summary_finish(&s);
	char when[64];
	summary_when(&s, when, sizeof when);
	put_column(summary_sender(&s), 30);
	put_column(when, 16);
	console_put_safe(summary_subject(&s), strlen(summary_subject(&s)));
	console_printf("\n");
	return true;
}

/* "+OK <count> <octets>" -> count and octets. */
static bool parse_stat(const char *status, unsigned long *count,
		       unsigned long *octets)
{
	return sscanf(status, "%*s %lu %lu", count, octets) == 2;
}

static bool show_mail_list(struct pop3 *p)
{
	unsigned long count, octets;
	enum status st = command(p, "STAT", NULL);
	if (st != POP3_OK) {
		if (st == POP3_ERR)
			show_status(p);
		return st == POP3_ERR;
	}
	if (!parse_stat(p->status, &count, &octets)) {
		console_printf("Cannot read the message count from: ");
		show_status(p);
		return true;
	}
	if (count == 0) {
		console_printf("No messages.\n");
		return true;
	}
	console_printf(" No. %-32s%-18s%s\n", "Sender", "Received", "Subject");
	for (unsigned long n = 1; n <= count; n++)
		if (!list_one(p, n))
			return false;
	return true;
}

/* ---- the sub-menu ---- */

enum next { STAY, LEAVE };

static enum next do_stat(struct pop3 *p, const char *arg)
{
	(void)arg;
	unsigned long count, octets;
	enum status st = command(p, "STAT", NULL);
	if (st == POP3_BROKEN)
		return LEAVE;
	if (st == POP3_OK && parse_stat(p->status, &count, &octets))
		console_printf("%lu message%s, %lu octets\n", count,
			       count == 1 ? "" : "s", octets);
	else
		show_status(p);
	return STAY;
}

static enum next do_list(struct pop3 *p, const char *arg)
{
	enum status st = command(p, "LIST", arg);
	if (st == POP3_BROKEN)
		return LEAVE;
	if (st == POP3_ERR || arg) {            /* one message: a status line */
		show_status(p);
		return STAY;
	}
	console_printf(" No.  Size (octets)\n");
	struct line line;
	bool first;
	enum data d;
	unsigned long listed = 0;
	while ((d = read_data(p, &line, &first)) == DATA_LINE) {
		char row[64];
		unsigned long n, size;
		if (!first)
			continue;
		snprintf(row, sizeof row, "%.*s", (int)line.len, line.text);
		if (sscanf(row, "%lu %lu", &n, &size) == 2) {
			console_printf("%4lu  %lu\n", n, size);
		} else {
			console_put_safe(line.text, line.len);
			console_printf("\n");
		}
		listed++;
	}
	if (d == DATA_BROKEN)
		return LEAVE;
	if (listed == 0)
		console_printf("No messages.\n");
	return STAY;
}

static enum next do_retr(struct pop3 *p, const char *arg)
{
	enum status st = command(p, "RETR", arg);
	if (st == POP3_BROKEN)
		return LEAVE;
	if (st == POP3_ERR) {
		show_status(p);
		return STAY;
	}
	console_printf("--- message %s ---\n", arg);
	struct line line;
	bool first;
	enum data d;
	while ((d = read_data(p, &line, &first)) == DATA_LINE) {
		console_put_safe(line.text, line.len);
		if (line.complete)
			console_printf("\n");
	}
	if (d == DATA_BROKEN)
		return LEAVE;
	console_printf("--- end of message %s ---\n", arg);
	return STAY;
}

/* Commands whose status line is all there is to show. */
static enum next show_reply(struct pop3 *p, const char *verb, const char *arg)
{
	if (command(p, verb, arg) == POP3_BROKEN)
		return LEAVE;
	show_status(p);
	return STAY;
}

static enum next do_dele(struct pop3 *p, const char *arg)
{
	return show_reply(p, "DELE", arg);
}

static enum next do_rset(struct pop3 *p, const char *arg)
{
	(void)arg;
	return show_reply(p, "RSET", NULL);
}

static enum next do_quit(struct pop3 *p, const char *arg)
{
	(void)arg;
	show_reply(p, "QUIT", NULL);
	return LEAVE;
}

enum argument { NO_NUMBER, OPTIONAL_NUMBER, NEEDS_NUMBER };

static const struct command {
	const char *name;
	enum argument argument;
	enum next (*run)(struct pop3 *p, const char *arg);
	const char *help;
} commands[] = {
	{ "STAT", NO_NUMBER,       do_stat, "number of messages and their size" },
	{ "LIST", OPTIONAL_NUMBER, do_list, "size of each message (LIST n: one)" },
	{ "RETR", NEEDS_NUMBER,    do_retr, "show message n" },
	{ "DELE", NEEDS_NUMBER,    do_dele, "mark message n deleted (done at QUIT)" },
	{ "RSET", NO_NUMBER,       do_rset, "unmark all deleted messages" },
	{ "QUIT", NO_NUMBER,       do_quit, "apply deletions, back to the menu" },
};

static void show_commands(void)
{
	console_printf("\nMailbox commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *c = &commands[i];
		const char *arg = c->argument == NEEDS_NUMBER ? " n"
				: c->argument == OPTIONAL_NUMBER ? " [n]" : "";
		console_printf("  %s%-5s %s\n", c->name, arg, c->help);
	}
}

static bool is_message_number(const char *s)
{
	unsigned long long n;
	return parse_uint(s, MESSAGE_NUMBER_MAX, &n) && n > 0;
}

/* Split "VERB [arg]" and run it; false when the user typed nonsense. */
static bool run_command(struct pop3 *p, char *input, enum next *next)
{
	char *verb = strtok(input, " \t");
	char *arg = verb ? strtok(NULL, " \t") : NULL;
	if (!verb || strtok(NULL, " \t"))
		return false;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *c = &commands[i];
		if (strcasecmp(verb, c->name) != 0)
			continue;
		bool arg_ok = arg ? c->argument != NO_NUMBER && is_message_number(arg)
				  : c->argument != NEEDS_NUMBER;
		if (!arg_ok) {
			console_printf("%s %s\n", c->name,
				       c->argument == NO_NUMBER ? "takes no argument."
				       : "needs a message number.");
			return false;
		}
		*next = c->run(p, arg);
		return true;
	}
	console_printf("Unknown command '%s'.\n", verb);
	return false;
}

static void command_loop(struct pop3 *p)
{
	show_commands();
	for (;;) {
		char input[64];
		enum next next = STAY;
		enum input_status st = console_ask("pop3> ", input, sizeof input);
		if (st == INPUT_OK && input[strspn(input, " \t")] == '\0')
			continue;
		if (st != INPUT_OK || !run_command(p, input, &next))
			console_printf("Commands: STAT, LIST [n], RETR n, DELE n, "
				       "RSET, QUIT\n");
		else if (next == LEAVE)
			return;
	}
}

void pop3_manage(const char *host, const char *port, struct credentials *cred)
{
	struct pop3 p;
	if (!log_in(&p, host, port, cred))
		return;
	if (show_mail_list(&p))
		command_loop(&p);
	conn_close(&p.conn);
}
