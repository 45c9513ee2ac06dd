# baretpm: plain GNU Makefile. `make help` lists the targets.

CC       ?= cc
AR       ?= ar
PREFIX   ?= /usr/local
BUILD    ?= build
STATIC   ?= 0

WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wpointer-arith
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) -fvisibility=hidden -fPIC $(CFLAGS)
ALL_CPPFLAGS = -D_DEFAULT_SOURCE -Itpm -Icrypto -Isim -Ipkcs11 $(CPPFLAGS)
LDLIBS_CRYPTO = -lmbedcrypto
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

.PHONY: all check asan demo deps deps-check clean help install uninstall tests

all: $(LIB) $(CLI) $(MODULE)

help:
	@echo "make            build $(LIB) and $(CLI)"
	@echo "make STATIC=1   link the CLI fully statically (initrd)"
	@echo "make check      build and run every test suite (starts its own swtpm)"
	@echo "make asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make demo       show what the CLI does against a throwaway swtpm"
	@echo "make deps       install the Debian packages needed to build and test"
	@echo "make install    install the CLI, library and header under PREFIX (DESTDIR)"

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
$(MODULE): $(LIB_OBJ) $(BUILD)/pkcs11/export.o pkcs11/export.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,-z,defs \
	  -Wl,--version-script=pkcs11/export.map -o $@ $(LIB_OBJ) $(BUILD)/pkcs11/export.o \
	  $(LDLIBS_CRYPTO) -pthread

# the PKCS#11 suites dlopen() the module
$(BUILD)/tests/test_pkcs11 $(BUILD)/tests/test_pkcs11_tpm $(BUILD)/tests/test_e2e: $(MODULE)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_LIB_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIB_OBJ) $(LIB) $(LDLIBS_CRYPTO) $(CHECK_LIBS)

tests: $(TEST_BIN) $(CLI)

# Every suite prints Check's summary line; the run fails if any suite fails.
check: deps-check
	@$(MAKE) --no-print-directory tests
	@BTPM_SRCDIR=$(CURDIR) BTPM_CLI=$(CURDIR)/$(CLI) BTPM_MODULE=$(CURDIR)/$(MODULE) \
	  tests/run-suites $(TEST_BIN)

asan: deps-check
	@BTPM_ASAN=1 $(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" check

demo: deps-check all
	@BTPM_CLI=$(CURDIR)/$(CLI) sim/demo

# Install missing Debian packages (no-op when everything is present).
DEB_PKGS = build-essential pkg-config libmbedtls-dev check swtpm swtpm-tools tpm2-tools \
           openssh-client openssh-server opensc gnutls-bin openssl libengine-pkcs11-openssl
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
	  [ -x /usr/sbin/sshd ] || $(MAKE) --no-print-directory deps

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/baretpm
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libbaretpm.a
	install -m 0644 tpm/baretpm.h $(DESTDIR)$(PREFIX)/include/baretpm.h

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/baretpm $(DESTDIR)$(PREFIX)/lib/libbaretpm.a \
	      $(DESTDIR)$(PREFIX)/include/baretpm.h

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d) $(BUILD)/pkcs11/export.d

# Keep intermediate objects (tests/lib) between runs.
.SECONDARY:
