# Mail server suite: smtp-handler, pop3-handler, tcpspawn, mail-client.
#   make          build the four programs into the repository root
#   make check    build, run every test, then again under ASan+UBSan
#   make run      start SMTP (2525) and POP3 (1110) on this repository's store
#   make bench    run the benchmarks

CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
STRICT   = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Icommon
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# B: where objects go; BIN: where programs go.  The sanitizer pass sets both.
B   ?= build
BIN ?= .
ifeq ($(SAN),1)
  STRICT += $(SANITIZE)
  LDFLAGS += $(SANITIZE)
endif

COMMON_SRC   := $(wildcard common/*.c)
SMTP_SRC     := $(wildcard handlers/smtp*.c)
POP3_SRC     := $(wildcard handlers/pop3*.c)
TCPSPAWN_SRC := $(wildcard handlers/tcpspawn*.c)
CLIENT_SRC   := $(wildcard client/*.c)

# A program is built once its sources exist.
PROGRAMS := $(if $(SMTP_SRC),smtp-handler) $(if $(POP3_SRC),pop3-handler) \
            $(if $(TCPSPAWN_SRC),tcpspawn) $(if $(CLIENT_SRC),mail-client)

obj = $(patsubst %.c,$(B)/%.o,$(1))
LIBCOMMON := $(B)/libcommon.a

all: $(addprefix $(BIN)/,$(PROGRAMS))

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(STRICT) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/smtp-handler: $(call obj,$(SMTP_SRC)) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^
$(BIN)/pop3-handler: $(call obj,$(POP3_SRC)) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ -lcrypt
$(BIN)/tcpspawn: $(call obj,$(TCPSPAWN_SRC)) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^
$(BIN)/mail-client: $(call obj,$(CLIENT_SRC)) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The test suite runs twice: plain, then under ASan+UBSan (SANITIZED=1
# tells tests that measure memory to skip, RSS means nothing there).
check: all
	tests/run-tests.sh .
	$(MAKE) --no-print-directory B=build/san BIN=build/san SAN=1 all
	SANITIZED=1 tests/run-tests.sh build/san

SMTP_PORT ?= 2525
POP3_PORT ?= 1110
ADDR      ?= 127.0.0.1
run: all
	@echo "SMTP on $(ADDR):$(SMTP_PORT), POP3 on $(ADDR):$(POP3_PORT), mail root $(CURDIR); Ctrl-C stops both"
	@trap 'kill 0' INT TERM EXIT; \
	./tcpspawn -b $(ADDR) $(SMTP_PORT) ./smtp-handler & \
	$(if $(POP3_SRC),./tcpspawn -b $(ADDR) $(POP3_PORT) ./pop3-handler &) \
	wait

bench: all
	tests/bench/run.sh

clean:
	rm -rf build smtp-handler pop3-handler tcpspawn mail-client

.PHONY: all check run bench clean
