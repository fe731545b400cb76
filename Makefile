# relaygate: build, test, install.  See README.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter
# CI builds with WERROR=1: a warning fails the run there, not a user's build
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
BSD_CFLAGS = $(shell pkg-config --cflags libbsd-overlay) -D_GNU_SOURCE
ALL_CFLAGS = $(CFLAGS) $(WARN) $(BSD_CFLAGS) -Isrc -MMD -MP

# The gate runs once per connection: link statically, a dynamic loader
# costs more than everything relaygate itself does.
STATIC	= -static
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer
LDSAN	= -fsanitize=address,undefined
STATIC	=
endif

B	= build
PROGS	= relaygate relaygate-rules poplock rblskip relaygate-gen authfirst authguard qtriage \
	  sendlimit
SCRIPTS	= bin/relaygate-deps bin/relaygate-demo bin/relaygate-install tests/run \
	  tests/bench/run tests/tools/envprint tests/tools/argv \
	  tests/tools/checkpw tests/tools/tee-backend .ci/run
MANS	= $(PROGS:%=src/%.8)
MAN5	= src/relaygate-gen.5
LIBSRC	= $(wildcard src/lib/*.c)
LIBOBJ	= $(LIBSRC:src/lib/%.c=$(B)/lib/%.o)
LIBS	= -lcdb -lcares -ltls -lssl -lcrypto -lresolv -lcrack -lz -lhiredis \
	  $(shell pkg-config --static --libs libbsd)
UNITSRC	= $(wildcard tests/unit/test_*.c)
UNITS	= $(UNITSRC:tests/unit/%.c=$(B)/tests/%)
TOOLSRC	= $(wildcard tests/tools/*.c)
TOOLS	= $(TOOLSRC:tests/tools/%.c=$(B)/tools/%)
FUZZSRC	= $(wildcard tests/fuzz/fuzz_*.c)
REPLAY	= $(FUZZSRC:tests/fuzz/%.c=$(B)/replay/%)
FUZZ	= $(FUZZSRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_SECONDS ?= 60
BENCHSRC = $(wildcard tests/bench/*.c)
BENCH	= $(BENCHSRC:tests/bench/%.c=$(B)/bench/%)

.PHONY: all tests check demo deps bench fuzz install uninstall lint clean \
	progs scripts FORCE

# the programs; `make && make install` needs no test library
all: $(PROGS:%=bin/%)

# what the tests, the demo and the benchmarks run besides the programs
tests: all $(UNITS) $(TOOLS) $(BENCH) $(B)/bench/execstage-dynamic \
	$(REPLAY) $(PROGS:%=$(B)/dyn/%)

# the one list of programs, and of shell scripts, for the installer and
# the tests
progs:
	@echo $(PROGS)
scripts:
	@echo $(SCRIPTS)

# Rebuild everything when the flags change (SANITIZE=1 and back).
$(B)/flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(ALL_CFLAGS) $(LDSAN) $(STATIC)' | cmp -s - $@ || \
	    echo '$(CC) $(ALL_CFLAGS) $(LDSAN) $(STATIC)' > $@

$(B)/lib/%.o: src/lib/%.c $(B)/flags
	@mkdir -p $(@D)
	@echo "  CC	$@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/librg.a: $(LIBOBJ)
	@rm -f $@
	@ar rcs $@ $(LIBOBJ)

$(B)/%.o: src/%.c $(B)/flags
	@mkdir -p $(@D)
	@echo "  CC	$@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

bin/%: $(B)/%.o $(B)/librg.a
	@echo "  CC\t$@"
	@$(CC) $(LDSAN) $(STATIC) -o $@ $< $(B)/librg.a $(LIBS)

# qtriage looks up users (getpwnam, getpwuid): a static glibc loads the
# NSS modules of another build and crashes in them.  It runs once, by
# hand: dynamic linking costs it nothing.
bin/qtriage: $(B)/qtriage.o $(B)/librg.a
	@echo "  CC\t$@"
	@$(CC) $(LDSAN) -o $@ $< $(B)/librg.a $(LIBS)

# The same programs linked dynamically, for valgrind (which cannot follow
# a static glibc's malloc).
$(B)/dyn/%: $(B)/%.o $(B)/librg.a
	@mkdir -p $(@D)
	@echo "  CC	$@"
	@$(CC) $(LDSAN) -o $@ $< $(B)/librg.a $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/librg.a
	@mkdir -p $(@D)
	@echo "  CC	$@"
	@$(CC) $(ALL_CFLAGS) $(LDSAN) -o $@ $< $(B)/librg.a $(LIBS) -lcmocka

$(B)/tools/%: tests/tools/%.c $(B)/librg.a
	@mkdir -p $(@D)
	@echo "  CC	$@"
	@$(CC) $(ALL_CFLAGS) $(LDSAN) -o $@ $< $(B)/librg.a $(LIBS) -lresolv

# Benchmark stages are static, like the gate they are measured against.
$(B)/bench/%: tests/bench/%.c $(B)/librg.a
	@mkdir -p $(@D)
	@echo "  CC	$@"
	@$(CC) $(ALL_CFLAGS) $(LDSAN) $(STATIC) -o $@ $< $(B)/librg.a $(LIBS)

$(B)/bench/execstage-dynamic: tests/bench/execstage.c
	@mkdir -p $(@D)
	@echo "  CC	$@"
	@$(CC) $(ALL_CFLAGS) $(LDSAN) -o $@ $<

# Fuzz targets: replayed over their corpus by make check (any compiler),
# and run by make fuzz under libFuzzer (clang).
$(B)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/librg.a
	@mkdir -p $(@D)
	@echo "  CC\t$@"
	@$(CC) $(ALL_CFLAGS) $(LDSAN) -o $@ $< tests/fuzz/replay.c $(B)/librg.a $(LIBS)

$(B)/fuzz/%: tests/fuzz/%.c $(LIBSRC) src/lib/*.h
	@mkdir -p $(@D)
	@echo "  CLANG\t$@"
	@clang -g -O1 -fsanitize=fuzzer,address,undefined $(WARN) $(BSD_CFLAGS) \
	    -Isrc -o $@ $< $(LIBSRC) $(LIBS)

fuzz: deps $(FUZZ)
	@for f in $(FUZZ); do t=$${f##*/}; mkdir -p $(B)/fuzz/$$t.corpus; \
	    echo "== $$t: $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(B)/fuzz/$$t- \
	        $(B)/fuzz/$$t.corpus tests/fuzz/corpus/$${t#fuzz_} || exit 1; done

deps:
	@bin/relaygate-deps

check: deps
	@$(MAKE) --no-print-directory tests
	@SANITIZE=$(SANITIZE) tests/run

demo: deps
	@$(MAKE) --no-print-directory tests
	@bin/relaygate-demo

bench: deps
	@$(MAKE) --no-print-directory tests
	@tests/bench/run

lint:
	@for m in $(MANS) $(MAN5) src/relaygate-install.8; do \
	    mandoc -Tlint -W warning $$m || exit 1; done
	@shellcheck -S warning $(SCRIPTS) && \
	    shellcheck -S warning -s bash tests/e2e/lib.bash

install: $(PROGS:%=bin/%)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(PROGS:%=bin/%) $(DESTDIR)$(BINDIR)
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%) \
	    $(PROGS:%=$(DESTDIR)$(MANDIR)/man8/%.8) \
	    $(MAN5:src/%=$(DESTDIR)$(MANDIR)/man5/%)

clean:
	rm -rf $(B) $(PROGS:%=bin/%)

.PRECIOUS: $(B)/%.o

# header dependencies, as the compiler found them (-MMD)
-include $(shell find $(B) -name '*.d' 2>/dev/null)
