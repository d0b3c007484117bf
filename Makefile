# Mail server suite: smtp-handler, pop3-handler, tcpspawn, mail-client.
#   make          build the four programs and crypt-check into the repository root
#   make check    build, run every test, then again under ASan+UBSan
#   make run      start SMTP (2525) and POP3 (1110) on this repository's store
#   make bench    run the benchmarks
#   make fuzz     build the libFuzzer harnesses (clang) and run each for
#                 FUZZ_SECONDS (default 60); make -j2 fuzz runs two at once
#   make check-valgrind  the golden transcripts under valgrind memcheck
#   make install  install under $(DESTDIR)$(PREFIX) (default /usr/local);
#                 make uninstall removes exactly those files

CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
# -iquote: common/ serves "name.h" includes only, never a <name.h> of the C library.
STRICT   = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -iquote common
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# B: where objects go; BIN: where programs go.  The sanitizer pass sets both.
B   ?= build
BIN ?= .
# The test suite exports BIN (the programs under test) to bats: a make run
# by a test (make install) must not take it for where to build.
ifeq ($(origin BIN),environment)
  BIN := .
endif
# Handlers are exec'd once per session: linked statically they start
# faster and smaller (tests/bench/RESULTS.md).  Sanitizers need dynamic.
HANDLER_LDFLAGS ?= -static
# LIBC=musl (the default where musl-gcc is installed) builds the handlers
# and tcpspawn with musl-gcc -static, whose exec costs about half of static
# glibc's; LIBC=glibc (or MUSL_GCC= empty) builds them with $(CC) as the
# fallback.  mail-client, the fuzz drivers, the test-hooks pop3-handler and
# crypt-check (it needs libcrypt) always use $(CC): none is exec'd per
# session.
MUSL_GCC ?= $(shell command -v musl-gcc 2>/dev/null)
LIBC     ?= $(if $(MUSL_GCC),musl,glibc)
ifeq ($(origin LIBC)$(LIBC)$(SAN)$(FUZZER),fileglibc)
  $(info musl-gcc not found: handlers and tcpspawn built with $(CC) (static glibc))
endif
ifeq ($(SAN),1)
  STRICT += $(SANITIZE)
  LDFLAGS += $(SANITIZE)
  HANDLER_LDFLAGS :=
  override LIBC := glibc
endif
# HB: where the objects of the handlers and tcpspawn go.
ifeq ($(LIBC),musl)
  HANDLER_CC := $(MUSL_GCC)
  HB := $(B)/musl
  TCPSPAWN_LDFLAGS := -static
else
  HANDLER_CC := $(CC)
  HB := $(B)
  TCPSPAWN_LDFLAGS :=
endif
# The libFuzzer build (make fuzz): every object instrumented for coverage.
ifeq ($(FUZZER),1)
  STRICT += $(SANITIZE) -fsanitize=fuzzer-no-link
  LDFLAGS += $(SANITIZE)
  override LIBC := glibc
endif

COMMON_SRC   := $(wildcard common/*.c)
SMTP_SRC     := $(wildcard handlers/smtp*.c)
POP3_SRC     := $(wildcard handlers/pop3*.c)
TCPSPAWN_SRC := $(wildcard handlers/tcpspawn*.c)
CLIENT_SRC   := $(wildcard client/*.c)

HANDLERS := smtp-handler pop3-handler
PROGRAMS := $(HANDLERS) tcpspawn mail-client

obj  = $(patsubst %.c,$(B)/%.o,$(1))
hobj = $(patsubst %.c,$(HB)/%.o,$(1))
LIBCOMMON := $(B)/libcommon.a

all: $(addprefix $(BIN)/,$(PROGRAMS) crypt-check)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(STRICT) $(CFLAGS) -MMD -MP -c $< -o $@
$(B)/musl/%.o: %.c
	@mkdir -p $(dir $@)
	$(MUSL_GCC) $(STRICT) $(CFLAGS) -MMD -MP -c $< -o $@

define libcommon
$(1)/libcommon.a: $(patsubst %.c,$(1)/%.o,$(COMMON_SRC))
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(eval $(call libcommon,$(B)))
ifneq ($(HB),$(B))
$(eval $(call libcommon,$(HB)))
endif

# $(B)/libc holds the LIBC the handlers were last linked for: when it
# changes, they are linked again although their objects are older.
LIBC_STAMP := $(B)/libc
$(shell mkdir -p $(B) && { [ "$$(cat $(LIBC_STAMP) 2>/dev/null)" = $(LIBC) ] || \
	echo $(LIBC) > $(LIBC_STAMP); })

$(BIN)/smtp-handler: $(call hobj,$(SMTP_SRC)) $(HB)/libcommon.a $(LIBC_STAMP)
	$(HANDLER_CC) $(LDFLAGS) $(HANDLER_LDFLAGS) -o $@ $(filter-out $(LIBC_STAMP),$^)
$(BIN)/pop3-handler: $(call hobj,$(POP3_SRC)) $(HB)/libcommon.a $(LIBC_STAMP)
	$(HANDLER_CC) $(LDFLAGS) $(HANDLER_LDFLAGS) -o $@ $(filter-out $(LIBC_STAMP),$^)
$(BIN)/tcpspawn: $(call hobj,$(TCPSPAWN_SRC)) $(HB)/libcommon.a $(LIBC_STAMP)
	$(HANDLER_CC) $(LDFLAGS) $(TCPSPAWN_LDFLAGS) -o $@ $(filter-out $(LIBC_STAMP),$^)
$(BIN)/mail-client: $(call obj,$(CLIENT_SRC)) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^

# crypt-check (pop3-handler runs it for hashed passwords) sits beside each
# pop3-handler that may run it, where that handler looks by default.
define crypt_check
$(1)/crypt-check: $(call obj,handlers/crypt_check.c) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ -lcrypt
endef
$(foreach d,$(sort $(BIN) $(B)/fuzz $(B)/test-hooks),$(eval $(call crypt_check,$(d))))

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Fuzz harnesses (tests/fuzz/README): each links the handler's objects but
# its main, or just libcommon, and is built two ways: $(B)/fuzz/H-replay
# (plain main replaying the corpus, for make check) and, in the libFuzzer
# build, build/libfuzzer/fuzz/H-fuzzer.
FUZZ_HARNESSES := smtp pop3 mailbox_index users
FUZZ_SECONDS   ?= 60
FUZZ_CC        ?= clang
fuzz_src_smtp          := $(filter-out %_main.c,$(SMTP_SRC)) tests/fuzz/session.c
fuzz_src_pop3          := $(filter-out %_main.c,$(POP3_SRC)) tests/fuzz/session.c
fuzz_src_mailbox_index := tests/fuzz/session.c
fuzz_src_users         := tests/fuzz/session.c
$(B)/tests/fuzz/%.o: STRICT += -Ihandlers

define fuzz_harness
$(B)/fuzz/$(1)-replay: $(call obj,tests/fuzz/fuzz_$(1).c tests/fuzz/replay.c $(fuzz_src_$(1))) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^
$(B)/fuzz/$(1)-fuzzer: $(call obj,tests/fuzz/fuzz_$(1).c $(fuzz_src_$(1))) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -fsanitize=fuzzer -o $$@ $$^
fuzz-$(1): fuzz-build
	tests/fuzz/run.sh $(1) $$(FUZZ_SECONDS)
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call fuzz_harness,$(h))))

# Replay drivers are test programs, not part of all (nor of install).
fuzz-replay: $(foreach h,$(FUZZ_HARNESSES),$(B)/fuzz/$(h)-replay) $(B)/fuzz/crypt-check

fuzz-build:
	$(MAKE) --no-print-directory B=build/libfuzzer CC=$(FUZZ_CC) FUZZER=1 \
		$(foreach h,$(FUZZ_HARNESSES),build/libfuzzer/fuzz/$(h)-fuzzer) \
		build/libfuzzer/fuzz/crypt-check

fuzz: $(foreach h,$(FUZZ_HARNESSES),fuzz-$(h))

# A pop3-handler for the tests alone: its update pauses half-way for
# POP3_TEST_UPDATE_DELAY_MS, so a test can kill it mid-rewrite.  The hook
# is compiled into no other program.
$(B)/test-hooks/maildrop.o: common/maildrop.c
	@mkdir -p $(dir $@)
	$(CC) $(STRICT) $(CFLAGS) -DMAILDROP_TEST_HOOKS -MMD -MP -c $< -o $@
$(B)/test-hooks/pop3-handler: $(call obj,$(POP3_SRC)) $(B)/test-hooks/maildrop.o $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^
test-hooks: $(B)/test-hooks/pop3-handler $(B)/test-hooks/crypt-check

# The test suite runs twice: plain, then under ASan+UBSan (SANITIZED=1
# tells tests that measure memory to skip, RSS means nothing there).
# FUZZ_BIN tells tests/fuzz-replay.bats where that pass's replay drivers are.
check: all fuzz-replay test-hooks
	FUZZ_BIN=$(CURDIR)/$(B)/fuzz TEST_HOOKS_BIN=$(CURDIR)/$(B)/test-hooks \
		tests/run-tests.sh .
	$(MAKE) --no-print-directory B=build/san BIN=build/san SAN=1 all fuzz-replay test-hooks
	SANITIZED=1 FUZZ_BIN=$(CURDIR)/build/san/fuzz \
		TEST_HOOKS_BIN=$(CURDIR)/build/san/test-hooks \
		tests/run-tests.sh build/san

# Valgrind memcheck over every golden transcript of both handlers and over
# the fuzz corpus through the replay drivers: no error, no definite or
# indirect leak.
# The handlers are checked dynamically linked: memcheck replaces malloc only
# through the dynamic loader, so in a static binary it would see no leak.
check-valgrind: all fuzz-replay
	$(MAKE) --no-print-directory B=build/valgrind BIN=build/valgrind \
		HANDLER_LDFLAGS= LIBC=glibc build/valgrind/smtp-handler \
		build/valgrind/pop3-handler build/valgrind/crypt-check
	tests/valgrind-golden.sh build/valgrind

SMTP_PORT ?= 2525
POP3_PORT ?= 1110
ADDR      ?= 127.0.0.1
run: all
	@echo "SMTP on $(ADDR):$(SMTP_PORT), POP3 on $(ADDR):$(POP3_PORT), mail root $(CURDIR); Ctrl-C stops both"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	./tcpspawn -b $(ADDR) $(SMTP_PORT) ./smtp-handler & \
	./tcpspawn -b $(ADDR) $(POP3_PORT) ./pop3-handler & \
	wait

bench: all
	tests/bench/run.sh

clean:
	rm -rf build smtp-handler pop3-handler tcpspawn mail-client crypt-check

# Handlers are started by a superserver, not by users: libexec.  tcpspawn is
# a daemon an administrator starts: sbin.  The client is for users: bin.
PREFIX     ?= /usr/local
LIBEXECDIR ?= $(PREFIX)/libexec/mailsuite
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/mailsuite
MAN1       := $(wildcard handlers/*.1 client/*.1)
MAN8       := $(wildcard handlers/*.8)
CONF       := $(shell find conf -type f 2>/dev/null | sort)

install: all
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(HANDLERS) crypt-check $(DESTDIR)$(LIBEXECDIR)/
	install -D -m 0755 tcpspawn $(DESTDIR)$(SBINDIR)/tcpspawn
	install -D -m 0755 mail-client $(DESTDIR)$(BINDIR)/mail-client
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	for f in $(CONF); do install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(LIBEXECDIR)/,$(HANDLERS) crypt-check) \
	      $(DESTDIR)$(SBINDIR)/tcpspawn $(DESTDIR)$(BINDIR)/mail-client \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
	      $(addprefix $(DESTDIR)$(DOCDIR)/,$(CONF))
	-rmdir $(addprefix $(DESTDIR)$(DOCDIR)/,$(filter-out conf/,$(sort $(dir $(CONF))))) \
	       $(DESTDIR)$(DOCDIR)/conf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(LIBEXECDIR) 2>/dev/null

.PHONY: all check check-valgrind run bench clean install uninstall \
	fuzz fuzz-build fuzz-replay test-hooks $(foreach h,$(FUZZ_HARNESSES),fuzz-$(h))
