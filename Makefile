# consolefs — plain Makefile. `make`, `make check`, `make run`, `make bench`.
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
PKGS      = fuse3 libudev uuid inih libvirt libxml-2.0
WERROR   ?=
SAN      ?=

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wwrite-strings -Wvla -MMD -MP $(WERROR)
CPPFLAGS += -I. -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

CORE_SRC  = $(sort $(wildcard core/*.c))
FS_SRC    = $(sort $(wildcard fs/*.c))
CORE_OBJ  = $(CORE_SRC:%.c=$(BUILD)/%.o)
FS_OBJ    = $(FS_SRC:%.c=$(BUILD)/%.o)
TOOLS_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tools/*.c)))
UNIT_SRC  = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/consolefs $(BUILD)/consolectl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/consolefs: $(FS_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# consolectl talks to the daemon only through the mount: libc is enough.
$(BUILD)/consolectl: $(TOOLS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

# test_line records what core/line.c asks of the terminal (see the test).
$(BUILD)/tests/test_line: LDFLAGS += -Wl,--wrap=ioctl

units: $(UNIT_BIN)

# Run the unit tests and the behaviour tests once, with the binaries in $(BUILD).
check-once: all units
	tests/run-unit.sh $(UNIT_BIN)
	BUILD=$(BUILD) tests/run.sh

# Everything: plain build, then the same suite under ASan + UBSan, then fuzzing.
check: deps-check
	$(MAKE) check-once
	$(MAKE) BUILD=build/san SAN=1 check-once
	$(MAKE) fuzz-run

deps-check:
	@for p in $(PKGS) cmocka; do pkg-config --exists $$p || { echo "missing $$p: run 'make deps'"; exit 1; }; done

FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 30
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c core/lock.c core/log.c core/path.c core/proc.c
	@mkdir -p $(dir $@)
	clang -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined -o $@ $^

fuzz: $(FUZZ_BIN)

fuzz-run: fuzz
	tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

$(BUILD)/bench: tests/bench/bench.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lutil

bench: all $(BUILD)/bench
	tests/bench/bench.sh $(BUILD)

run: deps-check all
	mkdir -p /run/consoles
	@echo "Mounting /run/consoles in the foreground (Ctrl-C stops). In another terminal try:"
	@echo "  cat /run/consoles/demo/serial0.log; cat /run/consoles/demo/serial0"
	@echo "  $(BUILD)/consolectl attach demo        (^] leaves)"
	$(BUILD)/consolefs -f -c etc/consolefs.conf.example /run/consoles

DEB_PKGS = build-essential pkg-config clang libfuzzer-14-dev libfuse3-dev fuse3 libudev-dev \
           uuid-dev libinih-dev libcmocka-dev attr socat tmux screen minicom picocom \
           python3 util-linux procps bc busybox-static qemu-system-x86 cpio \
           libvirt-dev libxml2-dev libvirt-daemon-system libvirt-clients strace \
           python3-serial
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS)

# The kernel and initramfs of tests/behave/qemu-guest.sh (downloaded once).
guest: ; tests/guest/make-guest.sh build/guest
.PHONY: guest

install: all
	install -D -m 0755 $(BUILD)/consolefs $(DESTDIR)$(PREFIX)/sbin/consolefs
	install -D -m 0755 $(BUILD)/consolectl $(DESTDIR)$(PREFIX)/bin/consolectl
	install -D -m 0644 man/consolefs.8 $(DESTDIR)$(PREFIX)/share/man/man8/consolefs.8
	install -D -m 0644 man/consolectl.1 $(DESTDIR)$(PREFIX)/share/man/man1/consolectl.1
	install -D -m 0644 man/consolefs.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/consolefs.conf.5
	install -D -m 0644 etc/consolefs.service $(DESTDIR)$(PREFIX)/lib/systemd/system/consolefs.service
	install -D -m 0644 etc/consolectl.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/consolectl
	install -D -m 0644 etc/consolefs.conf.example $(DESTDIR)$(PREFIX)/share/doc/consolefs/consolefs.conf.example

clean:
	rm -rf build

.PHONY: all units check check-once deps-check fuzz fuzz-run bench run deps install clean
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
