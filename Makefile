# baretpm: plain GNU Makefile. `make help` lists the targets.

CC       ?= cc
AR       ?= ar
PREFIX   ?= /usr/local
BUILD    ?= build
STATIC   ?= 0
VERSION   = 0.1

# Install layout (GNU names). LIBDIR follows Debian multiarch when the compiler knows it.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
PKCS11DIR  ?= $(LIBDIR)/pkcs11

WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wpointer-arith
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) -fvisibility=hidden -fPIC $(CFLAGS)
ALL_CPPFLAGS = -D_DEFAULT_SOURCE -Itpm -Icrypto -Isim -Ipkcs11 $(CPPFLAGS)
LDLIBS_CRYPTO = -lmbedcrypto
# MBEDTLS_DIR=<mbedTLS source tree built with -fPIC>: its headers, and its static
# libmbedcrypto.a linked into everything (a module with no dependency but libc).
ifneq ($(MBEDTLS_DIR),)
ALL_CPPFLAGS += -I$(MBEDTLS_DIR)/include
LDLIBS_CRYPTO = $(MBEDTLS_DIR)/library/libmbedcrypto.a
endif
# The PKCS#11 module carries its own hidden copy of the mbedTLS code it uses
# (libmbedcrypto.a; the version script keeps every mbedtls_ name local): it then
# needs only libc, loads in about half the time, and cannot bind to another
# mbedTLS version an application has loaded itself. MBEDTLS_SHARED=1 links
# libmbedcrypto.so instead, for packagers who want mbedTLS updates to apply
# without a rebuild. Without a libmbedcrypto.a the shared library is used.
MBEDTLS_A := $(if $(MBEDTLS_DIR),,$(shell $(CC) -print-file-name=libmbedcrypto.a))
ifeq ($(MBEDTLS_SHARED)$(MBEDTLS_DIR),)
ifneq ($(MBEDTLS_A),libmbedcrypto.a)
MODULE_CRYPTO = $(MBEDTLS_A)
endif
endif
MODULE_CRYPTO ?= $(LDLIBS_CRYPTO)
# `baretpm --version`
$(BUILD)/cli/main.o: ALL_CPPFLAGS += -DBTPM_VERSION='"$(VERSION)"'
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

ifeq ($(STATIC),1)
CLI_LDFLAGS = -static
endif

# pkcs11/export.c holds the exported C_* names: the shared object only.
LIB_SRC  := $(filter-out pkcs11/export.c,$(sort $(wildcard tpm/*.c crypto/*.c sim/*.c pkcs11/*.c)))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_LIB := $(sort $(wildcard tests/lib/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_LIB_OBJ := $(TEST_LIB:%.c=$(BUILD)/%.o)

LIB = $(BUILD)/libbaretpm.a
CLI = $(BUILD)/baretpm
MODULE = $(BUILD)/libbaretpm_pkcs11.so
STATIC_SIGN = $(BUILD)/tests/static_sign

# Installed headers: #include <baretpm/baretpm.h> (pkg-config --cflags baretpm).
PUBLIC_H = tpm/baretpm.h tpm/baretpm_keys.h pkcs11/baretpm_pkcs11.h pkcs11/p11.h
MAN1 := $(wildcard docs/*.1)
MAN7 := $(wildcard docs/*.7)

.PHONY: all check asan demo deps deps-check clean help install uninstall tests size

all: $(LIB) $(CLI) $(MODULE)

help:
	@echo "make            build $(LIB) and $(CLI)"
	@echo "make STATIC=1   link the CLI fully statically (initrd)"
	@echo "make check      build and run every test suite (starts its own swtpm)"
	@echo "make asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make demo       show what the CLI does against a throwaway swtpm"
	@echo "make deps       install the Debian packages needed to build and test"
	@echo "make install    install CLI, library, headers, module, baretpm.pc, p11-kit module file"
	@echo "                (PREFIX=/usr/local DESTDIR= LIBDIR BINDIR INCLUDEDIR DATADIR MANDIR)"
	@echo "make uninstall  remove what make install put there"
	@echo "make size       the size of every artifact (footprint)"
	@echo "make bench      baretpm's module next to tpm2-pkcs11 (installed if it can be)"
	@echo "                (bench-soak: with SOAK=N signatures; bench-build: build only)"
	@echo "make fuzz       the libFuzzer targets (clang), FUZZ_SECONDS each"
	@echo "make MBEDTLS_DIR=DIR  link a PIC mbedTLS tree's libmbedcrypto.a into everything"
	@echo "make MBEDTLS_SHARED=1 the module links libmbedcrypto.so (default: its own static copy)"

# V=1 shows the full command lines.
ifeq ($(V),1)
Q =
else
Q = @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) -Itests/lib $(CHECK_CFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(CLI): $(CLI_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(CLI_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS_CRYPTO)

# The PKCS#11 module: the library plus the three exported entry points, nothing else exported.
$(MODULE): $(LIB_OBJ) $(BUILD)/pkcs11/export.o pkcs11/export.map Makefile
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,-z,defs \
	  -Wl,--version-script=pkcs11/export.map -o $@ $(LIB_OBJ) $(BUILD)/pkcs11/export.o \
	  $(MODULE_CRYPTO) -pthread

# the PKCS#11 suites dlopen() the module
$(BUILD)/tests/test_pkcs11 $(BUILD)/tests/test_pkcs11_tpm $(BUILD)/tests/test_e2e \
  $(BUILD)/tests/test_faults $(BUILD)/tests/test_concurrency $(BUILD)/tests/test_secrets \
  $(BUILD)/tests/test_crash: $(MODULE)
$(BUILD)/tests/test_install: $(MODULE) $(CLI)

# A program with no shared library at all: libbaretpm.a's PKCS#11 entry points, no dlopen.
# -static cannot carry the sanitizer runtimes, so `make asan` leaves it out.
$(STATIC_SIGN): tests/static_sign.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -static -o $@ $< $(LIB) $(LDLIBS_CRYPTO) -pthread
ifeq ($(findstring -fsanitize,$(CFLAGS)),)
$(BUILD)/tests/test_install: $(STATIC_SIGN)
endif

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_LIB_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIB_OBJ) $(LIB) $(LDLIBS_CRYPTO) $(CHECK_LIBS)

tests: $(TEST_BIN) $(CLI)

# Every suite prints Check's summary line; the run fails if any suite fails.
check: deps-check
	@$(MAKE) --no-print-directory tests
	@BTPM_SRCDIR=$(CURDIR) BTPM_CLI=$(CURDIR)/$(CLI) BTPM_MODULE=$(CURDIR)/$(MODULE) \
	  BTPM_MODULE_MBEDTLS=$(if $(filter %.a,$(MODULE_CRYPTO)),static,shared) \
	  tests/run-suites $(TEST_BIN)

asan: deps-check
	@BTPM_ASAN=1 $(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" check

demo: deps-check all
	@BTPM_CLI=$(CURDIR)/$(CLI) sim/demo

# Install missing Debian packages (no-op when everything is present).
DEB_PKGS = build-essential pkg-config libmbedtls-dev check swtpm swtpm-tools tpm2-tools \
           openssh-client openssh-server opensc gnutls-bin openssl libengine-pkcs11-openssl \
           p11-kit file man-db groff-base
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deps-check:
	@command -v swtpm >/dev/null && command -v swtpm_setup >/dev/null && \
	  [ -e /usr/include/mbedtls/ecdsa.h ] && pkg-config --exists check && \
	  command -v ssh-keygen >/dev/null && command -v pkcs11-tool >/dev/null && \
	  command -v p11-kit >/dev/null && command -v file >/dev/null && \
	  [ -x /usr/sbin/sshd ] || $(MAKE) --no-print-directory deps

# baretpm.pc and the p11-kit module file name installed paths (never DESTDIR): made here.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PKCS11DIR) \
	  $(DESTDIR)$(INCLUDEDIR)/baretpm $(DESTDIR)$(DATADIR)/p11-kit/modules
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/baretpm
	install -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/libbaretpm.a
	install -m 0644 $(MODULE) $(DESTDIR)$(PKCS11DIR)/libbaretpm_pkcs11.so
	install -m 0644 $(PUBLIC_H) $(DESTDIR)$(INCLUDEDIR)/baretpm/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@PKCS11DIR@|$(PKCS11DIR)|' -e 's|@VERSION@|$(VERSION)|' baretpm.pc.in > $(BUILD)/baretpm.pc
	install -m 0644 $(BUILD)/baretpm.pc $(DESTDIR)$(LIBDIR)/pkgconfig/baretpm.pc
	sed -e 's|@PKCS11DIR@|$(PKCS11DIR)|' pkcs11/baretpm.module > $(BUILD)/baretpm.module
	install -m 0644 $(BUILD)/baretpm.module $(DESTDIR)$(DATADIR)/p11-kit/modules/baretpm.module
	$(if $(MAN1),install -d $(DESTDIR)$(MANDIR)/man1 && install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN7),install -d $(DESTDIR)$(MANDIR)/man7 && install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/baretpm $(DESTDIR)$(LIBDIR)/libbaretpm.a \
	      $(DESTDIR)$(PKCS11DIR)/libbaretpm_pkcs11.so $(DESTDIR)$(LIBDIR)/pkgconfig/baretpm.pc \
	      $(DESTDIR)$(DATADIR)/p11-kit/modules/baretpm.module \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/baretpm/,$(notdir $(PUBLIC_H))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rmdir $(DESTDIR)$(INCLUDEDIR)/baretpm 2>/dev/null || true

# Footprint: file size, size without symbols and debug info, size(1)'s text/data/bss.
SIZE_OF = $(LIB) $(MODULE) $(CLI) $(wildcard $(BUILD)-static/baretpm $(STATIC_SIGN))
size: all
	@printf '%-34s %-8s %9s %9s %9s %7s %7s\n' artifact kind bytes stripped text data bss
	@for f in $(SIZE_OF); do \
	  case "$$(file -b $$f)" in *archive*) k=archive;; *shared\ object*) k=module;; \
	    *statically\ linked*) k=static;; *) k=dynamic;; esac; \
	  strip --strip-unneeded -o $(BUILD)/.size.tmp $$f; \
	  printf '%-34s %-8s %9s %9s %9s %7s %7s\n' $$f $$k $$(stat -c %s $$f) \
	    $$(stat -c %s $(BUILD)/.size.tmp) $$(size -t $$f | tail -n 1 | cut -f1-3); \
	done; rm -f $(BUILD)/.size.tmp

# Fuzzing: fuzz/run builds these with clang (libFuzzer, ASan, UBSan) in build-fuzz,
# replays fuzz/regressions, then runs each target FUZZ_SECONDS on its corpus.
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 10

.PHONY: fuzz
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run

$(BUILD)/fuzz/%.o: ALL_CPPFLAGS += -Itests/lib
$(FUZZ_BIN): $(BUILD)/fuzz/%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/common.o $(BUILD)/tests/lib/fake.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_CRYPTO) -pthread

-include $(FUZZ_BIN:=.d) $(BUILD)/fuzz/common.d

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d) $(TEST_LIB_OBJ:.o=.d) $(BUILD)/pkcs11/export.d

# Keep intermediate objects (tests/lib) between runs.
.SECONDARY:

# Benchmark (not part of 'make check'): bench/run-bench on fresh swtpms, baretpm's module and,
# when it can be installed, tpm2-pkcs11 side by side; README "Performance". BENCH_ARGS=...
BENCH_BIN  = $(BUILD)/bench/p11bench $(BUILD)/bench/proxy $(BUILD)/bench/nullp11.so
BENCH_DEBS = libtpm2-pkcs11-1 libtpm2-pkcs11-tools
SOAK      ?= 100000
.PHONY: bench bench-soak bench-deps bench-build
# mbedTLS linked statically (it verifies signatures), so that a module under test maps its own
BENCH_STATIC_CRYPTO = -Wl,-Bstatic -lmbedcrypto -Wl,-Bdynamic
$(BUILD)/bench/p11bench: $(BUILD)/bench/p11bench.o $(LIB)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) \
	  $(if $(MBEDTLS_DIR),$(LDLIBS_CRYPTO),$(BENCH_STATIC_CRYPTO)) -ldl -pthread
$(BUILD)/bench/proxy: $(BUILD)/bench/proxy.o
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<
# the floor for `ssh-keygen -D`: a module that serves one key from memory (never installed)
$(BUILD)/bench/nullp11.so: $(BUILD)/bench/nullp11.o
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -o $@ $<
bench-deps:
	@missing=""; for p in $(BENCH_DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $$missing; } || echo "bench: tpm2-pkcs11 not installed; baretpm alone"; \
	fi
bench: deps-check bench-deps all $(BENCH_BIN)
	@bench/run-bench $(BENCH_ARGS)
# the programs only, to run bench/run-bench by hand (e.g. --ours-only)
bench-build: deps-check all $(BENCH_BIN)
bench-soak: deps-check all $(BENCH_BIN)
	@bench/run-bench --soak $(SOAK) $(BENCH_ARGS)
-include $(BUILD)/bench/p11bench.d $(BUILD)/bench/proxy.d $(BUILD)/bench/nullp11.d
