/* console: see console.h. */
#include "console.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct writer out;
static struct line_reader in;

/* The terminal settings to put back if a signal arrives while echo is off. */
static struct termios saved_tty;
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static bool echo_is_off;

static void echo_back_on(void);

void console_init(void)
{
	writer_init(&out, STDOUT_FILENO);
	reader_init(&in, STDIN_FILENO, -1, &out);
}

struct writer *console_out(void)
{
	return &out;
}

void console_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	writer_vprintf(&out, fmt, ap);
	va_end(ap);
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

bool console_has_control(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (is_control((unsigned char)text[i]))
			return true;
	return false;
}

void console_put_safe(const char *text, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (is_control((unsigned char)text[i])) {
			writer_put(&out, text + start, i - start);
			writer_put(&out, "?", 1);
			start = i + 1;
		}
	}
	writer_put(&out, text + start, len - start);
}

void console_leave(void)
{
	echo_back_on();
	writer_puts(&out, "\nEnd of input, goodbye.\n");
	writer_flush(&out);
	exit(0);
}

enum line_status console_next_line(size_t max_len, struct line *line)
{
	return reader_next(&in, max_len, line);
}

enum line_status console_skip_rest(void)
{
	return reader_skip_rest(&in);
}

/* Read one answer into buf; the prompt has already been written. */
static enum input_status read_answer(char *buf, size_t size)
{
	struct line line;
	size_t max = size - 1 < CONSOLE_LINE_MAX ? size - 1 : CONSOLE_LINE_MAX;
	enum line_status st = reader_next(&in, max, &line);
	if (st != LINE_OK)
		console_leave();
	if (!line.complete) {
		if (reader_skip_rest(&in) != LINE_OK)
			console_leave();
		buf[0] = '\0';
		return INPUT_TOO_LONG;
	}
	if (console_has_control(line.text, line.len)) {
		buf[0] = '\0';
		return INPUT_BAD;
	}
	memcpy(buf, line.text, line.len);
	buf[line.len] = '\0';
	return INPUT_OK;
}

enum input_status console_ask(const char *prompt, char *buf, size_t size)
{
	writer_puts(&out, prompt);
	return read_answer(buf, size);
}

static void restore_tty_and_die(int sig)
{
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_tty_signals(void (*handler)(int))
{
	for (size_t i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
		signal(tty_signals[i], handler);
}

static void echo_back_on(void)
{
	if (!echo_is_off)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	catch_tty_signals(SIG_DFL);
	echo_is_off = false;
}

enum input_status console_ask_secret(const char *prompt, char *buf, size_t size)
{
	writer_puts(&out, prompt);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tty) == 0) {
		struct termios quiet = saved_tty;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;        /* still show the Enter key */
		catch_tty_signals(restore_tty_and_die);
		/* TCSANOW, not TCSAFLUSH: keep what the user typed ahead. */
		if (tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0)
			echo_is_off = true;
		else
			catch_tty_signals(SIG_DFL);
	}
	enum input_status result = read_answer(buf, size);
	echo_back_on();
	return result;
}
