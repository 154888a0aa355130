# notspam: a plain Makefile.  `make` builds ./notspam; `make check` runs every
# test and ends with one line "N passed, N failed"; `make asan` builds the
# ASan+UBSan binary; `make deps` installs the Debian packages building and
# the demo need (`make check` installs the test packages).

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/bin
MANDIR	 = $(PREFIX)/share/man/man1
SHAREDIR = $(PREFIX)/share/notspam

CC	?= cc
PKGS	 = ncursesw openssl libcares
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wwrite-strings -Wpointer-arith
ifdef CI
WARN	+= -Werror
endif
ifdef WERROR
WARN	+= -Werror
endif
HARDEN	 = -fstack-protector-strong -D_FORTIFY_SOURCE=2
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) $(CFLAGS) \
	     $(PKG_CFLAGS) -I.
ALL_LDFLAGS = -Wl,-z,relro -Wl,-z,now $(LDFLAGS)

ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=undefined

CORE_SRC = $(sort $(wildcard core/*/*.c))
BACK_SRC = $(sort $(wildcard backends/*.c))
UI_SRC	 = $(sort $(wildcard ui/*.c))
LIB_SRC	 = $(CORE_SRC) $(BACK_SRC)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
HDRS	 = $(wildcard core/*/*.h backends/*.h ui/*.h)

B	 = build/rel
A	 = build/asan

LIB_OBJ	 = $(LIB_SRC:%.c=$(B)/%.o)
UI_OBJ	 = $(UI_SRC:%.c=$(B)/%.o)
ALIB_OBJ = $(LIB_SRC:%.c=$(A)/%.o)
AUI_OBJ	 = $(UI_SRC:%.c=$(A)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(A)/tests/%)
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
CLANG	?= clang

DEMO_KEYS = share/demo/etc/dkimkeys/mail.private \
	    share/demo/etc/dkimkeys/example-org-ed25519.private \
	    share/demo/etc/dkimkeys/example-net.private \
	    share/demo/etc/mail/dkim/example.com.key

.PHONY: all asan check unit shell fuzz bench demo demo-sandbox deps test-deps install uninstall clean

all: notspam demo-keys demo-zones

notspam: $(LIB_OBJ) $(UI_OBJ)
	$(CC) $(ALL_CFLAGS) $(HARDEN) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(HARDEN) -c -o $@ $<

asan: $(A)/notspam

$(A)/notspam: $(ALIB_OBJ) $(AUI_OBJ)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS)

$(A)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

$(A)/libnotspam.a: $(ALIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(A)/tests/%: tests/unit/%.c tests/unit/testutil.h $(A)/libnotspam.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -o $@ $< $(A)/libnotspam.a \
	    $(PKG_LIBS) -lcmocka

# Test-only programs linked with the core, run by the shell suites
# (tests/drivers/txn_driver.c: tests/shell/txn.sh's kill -9 matrix).
DRIVER_SRC = $(sort $(wildcard tests/drivers/*.c))
DRIVER_BIN = $(DRIVER_SRC:tests/drivers/%.c=$(A)/tests/drivers/%)

$(A)/tests/drivers/%: tests/drivers/%.c $(A)/libnotspam.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -o $@ $< $(A)/libnotspam.a \
	    $(PKG_LIBS)

# libFuzzer targets, one per parser (run briefly by tests/shell/fuzz.sh).
fuzz: $(FUZZ_BIN)

FUZZ_FLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) -g -O1 \
	     $(PKG_CFLAGS) -I.
FUZZ_OBJ = $(LIB_SRC:%.c=build/fuzz/obj/%.o)
# Kept, not removed as intermediates (make would print the rm after the
# test summary, which must be the last line).
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
	    $(FUZZ_OBJ) $(PKG_LIBS)

# Speed and memory, measured (never asserted): notspam check on 1,000
# domains beside a bare c-ares program, same zone, same run.
bench: notspam
	/usr/bin/python3 tests/bench/bench.py ./notspam $(or $(RUNS),5)

# Demo DKIM keys are made by the build, never committed.
demo-keys: $(DEMO_KEYS)

share/demo/etc/dkimkeys/mail.private:
	sh share/demo-keys.sh rsa 2048 $@

share/demo/etc/dkimkeys/example-org-ed25519.private:
	sh share/demo-keys.sh ed25519 0 $@

# 1024 bits: one of the demo's stories (a key too short).
share/demo/etc/dkimkeys/example-net.private:
	sh share/demo-keys.sh rsa 1024 $@

share/demo/etc/mail/dkim/example.com.key:
	sh share/demo-keys.sh rsa 2048 $@

# The demo's zone files, publishing the demo's keys with the guides'
# stories written in (share/demo-zones.sh); made by the build, never
# committed.
DEMO_ZONES = share/demo-zones/example.org.zone

demo-zones: $(DEMO_ZONES)

$(DEMO_ZONES): notspam $(DEMO_KEYS) share/demo-zones.sh \
    $(shell find share/demo -type f ! -name '*.private' ! -name '*.key' \
    ! -name keys.state 2>/dev/null)
	sh share/demo-zones.sh ./notspam share/demo share/demo-zones

.PHONY: demo-keys demo-zones

deps:
	sh share/deps.sh

# The console on this machine's mail server when one is configured here;
# otherwise on the demo sandbox, every lookup answered from the demo's zone
# files (no network, no DNS server), on a copy of share/demo so nothing is
# written into the source tree.  `make demo-sandbox` always takes the demo.
demo: deps all
	@if [ -f /etc/postfix/main.cf ] || [ -f /etc/mail/smtpd.conf ] || \
	    [ -f /etc/smtpd.conf ]; then ./notspam; \
	else $(MAKE) -s demo-sandbox; fi

demo-sandbox: all
	@d=$$(mktemp -d) && cp -R share/demo/. "$$d/" && \
	./notspam --root "$$d" --zones share/demo-zones; rc=$$?; \
	rm -rf "$$d"; exit $$rc

# The live sandbox (root): a stock Debian Postfix + OpenDKIM in namespaces
# of its own, the guided setup opened on it, everything stopped and
# removed on q (share/sandbox.sh: it names any missing package and
# installs nothing).
sandbox: all
	@sh share/sandbox.sh

.PHONY: sandbox

unit: $(UNIT_BIN) $(DRIVER_BIN)

# Every suite; the last line is "N passed, N failed".
# The test packages come first (a no-op when present; deps.sh --tests
# refuses when another mail server is installed).
check: test-deps all $(A)/notspam $(UNIT_BIN) $(DRIVER_BIN) $(FUZZ_BIN)
	@sh tests/run.sh $(A)/notspam $(UNIT_BIN)

test-deps:
	sh share/deps.sh --tests

.PHONY: test-deps

# Monitoring examples (systemd timer, cron, Nagios/Icinga, Prometheus
# alert rules), installed under $(SHAREDIR)/examples.
EXAMPLES = $(sort $(wildcard share/examples/*))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(SHAREDIR)
	install -m 755 notspam $(DESTDIR)$(BINDIR)/notspam
	install -m 644 share/notspam.1 $(DESTDIR)$(MANDIR)/notspam.1
	install -m 644 share/notspam.conf.example $(DESTDIR)$(SHAREDIR)/notspam.conf.example
	install -d $(DESTDIR)$(SHAREDIR)/examples
	install -m 644 $(EXAMPLES) $(DESTDIR)$(SHAREDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/notspam $(DESTDIR)$(MANDIR)/notspam.1
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build notspam
