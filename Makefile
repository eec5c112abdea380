# whimbrel - build, test, install.
#
#   make                 library (static + shared) and the whimbrel command, in build/
#   make check           the README's test command: make test, then make test-asan
#   make test            install missing dependencies, build, run the whole suite
#   make test-asan       the whole suite under -fsanitize=address,undefined (build-asan/)
#   make test-batch-full the worker tests at full size: 100,000 items on SQLite, 20,000 on dynalite
#   make sweep           the fault sweeps at full size (tests/cli/t_sweep_*.sh; slow)
#   make demo            the cars example on the embedded dev target
#   make bench           the benchmarks in bench/ (slow; see bench/RESULTS.md)
#   make fuzz            the libFuzzer targets, built with clang in build-fuzz/fuzz/
#   make install PREFIX=/usr/local   (also the manual pages and the bash completion)
#
# Output layout (also the layout of an install, so the runner finds the
# header and library relative to its own executable in both places):
#   $(BUILD)/bin/whimbrel  $(BUILD)/lib/libwhimbrel.{a,so}  $(BUILD)/include/whimbrel.h
#   $(BUILD)/include/whimbrel/runner.h
# The shared library is libwhimbrel.so.X.Y.Z with SONAME libwhimbrel.so.X and
# the links libwhimbrel.so.X and libwhimbrel.so; it exports only what the
# public headers declare (WB_EXTERN in whimbrel.h and whimbrel/runner.h; the
# library compiles -fvisibility=hidden).
# The command (src/cli) sees the public headers only: -Iinclude -Isrc/cli.

BUILD   ?= build
PREFIX  ?= /usr/local
CC      ?= cc
WERROR  ?=
SAN     ?=
OPT     ?= -O2 -g

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes $(WERROR)
CFLAGS  += -std=gnu11 $(OPT) $(WARN) -fPIC -pthread $(SAN) -Iinclude
# The library's private headers, one folder a layer (see DESIGN.md's Layout).
SRC_DIRS:= src/util src src/sqlite src/dynamodb src/runner
PRIV_INC:= $(addprefix -I,$(SRC_DIRS))
CFLAGS  += -I/usr/include/x86_64-linux-gnu
LIBS    := -lsqlite3 -ljansson -lcurl -lcrypto -lpthread -lm
LDFLAGS += $(SAN) -pthread

LIB_SRC := $(sort $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TST_SRC := $(sort $(wildcard tests/test_*.c))
# The manual pages: hand-written roff, the source itself (docs/man/).
MAN_PAGES := $(sort $(wildcard docs/man/*.1))
TLIB_SRC:= $(sort $(wildcard tests/lib/*.c))

LIB_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
CLI_OBJ := $(patsubst src/cli/%.c,$(BUILD)/obj/cli/%.o,$(CLI_SRC))
TLIB_OBJ:= $(patsubst tests/lib/%.c,$(BUILD)/obj/tests/lib/%.o,$(TLIB_SRC))
TESTS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TST_SRC))

STATIC  := $(BUILD)/lib/libwhimbrel.a
SHARED  := $(BUILD)/lib/libwhimbrel.so
VERSION := $(shell sed -n 's/^\#define WB_VERSION_STRING "\(.*\)"/\1/p' include/whimbrel.h)
SONAME  := libwhimbrel.so.$(firstword $(subst ., ,$(VERSION)))
SOREAL  := libwhimbrel.so.$(VERSION)
BIN     := $(BUILD)/bin/whimbrel
HDR     := $(BUILD)/include/whimbrel.h
RUN_HDR := $(BUILD)/include/whimbrel/runner.h
PRICES  := $(BUILD)/share/whimbrel/prices.ini # the price table of `plan` (prices.c)
PUB_HDR := include/whimbrel.h include/whimbrel/runner.h

# How the runner compiles a migration: like the library it links (compile.c).
RUN_DEFS := -DWB_LINK_LIBS='"$(LIBS)"' -DWB_CC='"$(CC)"' -DWB_BUILD_SAN='"$(SAN)"'
$(BUILD)/obj/runner/compile.o: CFLAGS += $(RUN_DEFS)

.PHONY: all test test-asan test-batch-full check demo bench install clean deps sweep

# Keep intermediate objects (the test helpers), so nothing rebuilds twice.
.SECONDARY:

all: $(STATIC) $(SHARED) $(BIN) $(HDR) $(RUN_HDR) $(PRICES) $(TESTS)

PRIV_HDR:= $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.h))

$(BUILD)/obj/%.o: src/%.c $(PUB_HDR) $(PRIV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fvisibility=hidden $(PRIV_INC) -c $< -o $@

# The command: public headers and its own, nothing from the library's src/.
$(BUILD)/obj/cli/%.o: src/cli/%.c $(PUB_HDR) $(wildcard src/cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/cli -c $< -o $@

$(BUILD)/obj/tests/lib/%.o: tests/lib/%.c $(PUB_HDR) $(wildcard tests/lib/*.h) $(PRIV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PRIV_INC) -Itests/lib -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/lib/$(SOREAL): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDFLAGS) $(LIBS)

$(SHARED): $(BUILD)/lib/$(SOREAL)
	ln -sf $(SOREAL) $(BUILD)/lib/$(SONAME)
	ln -sf $(SONAME) $@

$(HDR): include/whimbrel.h
	@mkdir -p $(dir $@)
	cp $< $@

$(RUN_HDR): include/whimbrel/runner.h
	@mkdir -p $(dir $@)
	cp $< $@

$(PRICES): share/whimbrel/prices.ini
	@mkdir -p $(dir $@)
	cp $< $@

$(BIN): $(CLI_OBJ) $(STATIC) $(HDR) $(RUN_HDR)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CLI_OBJ) $(STATIC) $(LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/%.c $(STATIC) $(TLIB_OBJ) $(wildcard tests/lib/*.h) $(PUB_HDR) $(PRIV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PRIV_INC) -Itests/lib -o $@ $< $(TLIB_OBJ) $(STATIC) $(LDFLAGS) $(LIBS) -lcmocka

# Fuzz targets: tests/fuzz/fuzz_*.c, each a LLVMFuzzerTestOneInput.  The
# normal build links each with tests/fuzz/replay.c as main ($(BUILD)/fuzz/),
# and the runner replays its corpus tests/fuzz/corpus/NAME/ as a test;
# `make fuzz` builds them with clang's libFuzzer instead (build-fuzz/fuzz/,
# the library instrumented too).  See tests/fuzz/README.md.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_MAIN?= $(BUILD)/obj/tests/fuzz/replay.o
FUZZ_LINK?=
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

.PHONY: fuzz fuzz-build fuzz-clean
all: $(FUZZERS)
clean: fuzz-clean

$(BUILD)/obj/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_MAIN) $(STATIC) $(PRIV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PRIV_INC) -o $@ $< $(FUZZ_MAIN) $(STATIC) $(LDFLAGS) $(FUZZ_LINK) $(LIBS)

fuzz:
	@scripts/deps.sh --fuzz
	@$(MAKE) --no-print-directory fuzz-build BUILD=build-fuzz CC=clang OPT="-O1 -g" \
		SAN="$(FUZZ_SAN)" FUZZ_MAIN= FUZZ_LINK=-fsanitize=fuzzer

fuzz-build: $(FUZZERS)

fuzz-clean:
	rm -rf build-fuzz

deps:
	@scripts/deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/run-tests.sh

test-asan: deps
	@$(MAKE) --no-print-directory all BUILD=build-asan OPT="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	@BUILD=build-asan WB_SANITIZE=1 scripts/run-tests.sh

test-batch-full: deps
	@$(MAKE) --no-print-directory all
	@WB_WORKER_N=100000 WB_WORKER_DDB_N=20000 BUILD=$(BUILD) scripts/run-tests.sh t_worker

# The fault sweeps at full size (a few minutes): kill -9 at 20 points of a
# 200,000-item run on SQLite and dynalite, and the others of tests/cli/t_sweep_*.sh.
sweep: deps
	@$(MAKE) --no-print-directory all
	@SWEEP_N=200000 SWEEP_POINTS=20 SWEEP_FULL=1 BUILD=$(BUILD) scripts/run-tests.sh _sweep

check:
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory test-asan

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/whimbrel
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/whimbrel
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/libwhimbrel.a
	install -m 755 $(BUILD)/lib/$(SOREAL) $(DESTDIR)$(PREFIX)/lib/$(SOREAL)
	ln -sf $(SOREAL) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libwhimbrel.so
	install -m 644 include/whimbrel.h $(DESTDIR)$(PREFIX)/include/whimbrel.h
	install -m 644 include/whimbrel/runner.h $(DESTDIR)$(PREFIX)/include/whimbrel/runner.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBS@|$(LIBS)|' -e 's|@VERSION@|$(VERSION)|' \
		scripts/whimbrel.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/whimbrel.pc
	install -d $(DESTDIR)$(PREFIX)/share/whimbrel
	install -m 644 share/whimbrel/prices.ini $(DESTDIR)$(PREFIX)/share/whimbrel/prices.ini
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	ln -sf whimbrel-log.1 $(DESTDIR)$(PREFIX)/share/man/man1/whimbrel-logs.1
	install -m 644 completion/whimbrel.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/whimbrel

clean:
	rm -rf build build-asan
