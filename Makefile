# SPDX-License-Identifier: MIT
# Makefile: builds minivmm (vmm/), the guest kernel (guest/ with pvops/ and
# patchdata/), the tests and the benchmark tools, and runs them. Output goes
# to $(O) (default build/); quiet unless V=1. Targets: all run qemu qemu-gdb
# check bench clean. The first build installs missing packages
# (scripts/deps.sh).

O ?= build
V ?= 0
CMDLINE ?=
TIMEOUT ?= 60

MAKEFLAGS += -r
.SUFFIXES:
.SECONDARY: # keep generated includes and objects: no rebuild churn

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

CC := gcc
LD := ld
NASM := nasm

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wundef -Wvla -Wformat=2 \
	-Wcast-qual -Wwrite-strings -Wnull-dereference

# Host code is ISO C11 (-Wpedantic: no GNU language extensions); the
# library side is glibc's POSIX and GNU interfaces (pread, pipe2,
# memfd_create, getopt_long), hence _GNU_SOURCE. The guest is gnu11: its
# inline asm, section attributes and freestanding builtins are GNU C.
HOST_CFLAGS := -std=c11 -Wpedantic -D_GNU_SOURCE -O2 -g $(WARN) -Iinclude \
	-MMD -MP
HOST_LDFLAGS :=
# SAN=1: minivmm, the tests and the tools with ASan and UBSan (the guest is
# freestanding and stays as it is). `make check` runs both builds.
SAN ?= 0
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
HOST_CFLAGS += $(SAN_FLAGS)
HOST_LDFLAGS += $(SAN_FLAGS)
# Criterion's runner leaks by itself: suppressed for the runner only
# (tests/lsan.supp says why; tests/main.c keeps it from the workers).
TEST_ENV := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
endif
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -Ipvops -MMD -MP \
	-ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-mcmodel=small -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -fno-omit-frame-pointer
# Tests pass string literals as argv: let them, in tests only.
TEST_CFLAGS := $(HOST_CFLAGS) -Wno-write-strings -Ivmm -Ipvops \
	-DBUILD_DIR='"$(O)"'
NASMFLAGS := -f elf64 -g -F dwarf -I$(O)/include/ -Ipvops/ -Iguest/ \
	-Ipatchdata/

# ---- sources ----
VMM_SRCS := $(wildcard vmm/*.c)
VMM_OBJS := $(VMM_SRCS:%.c=$(O)/%.o)
# The loader pieces the host tests link directly (no KVM in them).
VMM_LIB_OBJS := $(addprefix $(O)/vmm/,loader_pvh.o start_info.o guestmem.o \
	image_file.o \
	guest_insn.o serial.o hypercall.o options.o cpuid.o sandbox.o)

# The guest: its own files, the pvops framework and the patchlets.
PVOPS_C := $(wildcard pvops/*.c)
PVOPS_ASM := $(wildcard pvops/*.S)
PATCHDATA_ASM := $(wildcard patchdata/*.S)
PATCHDATA_OBJS := $(PATCHDATA_ASM:%.S=$(O)/%.o)
GUEST_C := $(wildcard guest/*.c) $(PVOPS_C)
GUEST_ASM := $(wildcard guest/*.S) $(PVOPS_ASM)
GUEST_OBJS := $(GUEST_ASM:%.S=$(O)/%.o) $(GUEST_C:%.c=$(O)/%.o) \
	$(PATCHDATA_OBJS)

TEST_SRCS := $(wildcard tests/*.c)
TEST_OBJS := $(TEST_SRCS:%.c=$(O)/%.o)

DEPS_OK := $(O)/.deps-ok

.PHONY: all run qemu qemu-gdb check check-paths check-one check-sanitized \
	bench fuzz clean
all: $(O)/minivmm $(O)/guest.elf

# ---- packages: installed once, before anything is compiled ----
$(DEPS_OK): scripts/deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)scripts/deps.sh
	$(Q)touch $@

# ---- the C headers' constants, for NASM ----
ABI_INC := $(O)/include/abi.inc $(O)/include/pv_abi.inc \
	$(O)/include/pv_feature.inc $(O)/include/pv_op_list.inc
$(O)/include/abi.inc: scripts/h2inc.sh include/minivmm_abi.h include/pvh.h
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/h2inc.sh include/minivmm_abi.h include/pvh.h > $@

# The op list's NASM side: numbers, hypercall numbers, PV_FOR_EACH_OP.
$(O)/include/pv_op_list.inc: scripts/oplist.sh include/pv_op_list.h
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/oplist.sh include/pv_op_list.h > $@

$(O)/include/%.inc: scripts/h2inc.sh pvops/%.h
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/h2inc.sh pvops/$*.h > $@

# ---- minivmm ----
$(O)/vmm/%.o: vmm/%.c | $(DEPS_OK)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(O)/minivmm: $(VMM_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lseccomp -lm

# ---- the guest ----
# NASM 2.16's -MD leaves out %include files, so -M writes the deps first.
$(O)/%.o: %.S $(ABI_INC) | $(DEPS_OK)
	$(call msg,NASM,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(NASM) $(NASMFLAGS) -M -MT $@ -MP $< > $(@:.o=.d)
	$(Q)$(NASM) $(NASMFLAGS) -o $@ $<

$(O)/guest/%.o: guest/%.c | $(DEPS_OK)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(O)/pvops/%.o: pvops/%.c | $(DEPS_OK)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(O)/guest.elf: guest/guest.ld $(GUEST_OBJS)
	$(call msg,LD,$@)
	$(Q)$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack \
		--no-warn-rwx-segments -T guest/guest.ld -o $@ $(GUEST_OBJS)

# ---- tiny test guests: one NASM file each, probing one exit path ----
TINY_SRCS := $(wildcard tests/guests/*.S)
TINY_ELFS := $(TINY_SRCS:%.S=$(O)/%.elf)

$(O)/tests/guests/%.o: tests/guests/%.S $(ABI_INC) | $(DEPS_OK)
	$(call msg,NASM,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(NASM) $(NASMFLAGS) -Itests/guests/ -M -MT $@ -MP $< > $(@:.o=.d)
	$(Q)$(NASM) $(NASMFLAGS) -Itests/guests/ -o $@ $<

$(O)/tests/guests/%.elf: $(O)/tests/guests/%.o guest/guest.ld
	$(call msg,LD,$@)
	$(Q)$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack \
		--no-warn-rwx-segments -T guest/guest.ld -e start -o $@ $<

# ---- an ELF32 PVH guest (i386), as GRUB's xen_pvh image is built ----
GUEST32_SRCS := $(wildcard tests/guests32/*.S)
GUEST32_ELFS := $(GUEST32_SRCS:%.S=$(O)/%.elf)

$(O)/tests/guests32/%.o: tests/guests32/%.S $(ABI_INC) | $(DEPS_OK)
	$(call msg,NASM,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(NASM) -f elf32 -I$(O)/include/ -M -MT $@ -MP $< > $(@:.o=.d)
	$(Q)$(NASM) -f elf32 -I$(O)/include/ -o $@ $<

$(O)/tests/guests32/%.elf: $(O)/tests/guests32/%.o
	$(call msg,LD,$@)
	$(Q)$(LD) -m elf_i386 -nostdlib -static -z max-page-size=4096 \
		-z noexecstack --no-warn-rwx-segments -Ttext-segment=0x100000 \
		-e start -o $@ $<

# ---- the pvops engine built for the host (tests, host benchmark) ----
HOST_PVOPS_OBJS := $(addprefix $(O)/host/pvops/,patch.o patchdata.o \
	hypercall_port.o)
$(O)/host/pvops/%.o: pvops/%.c | $(DEPS_OK)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -Ipvops -c $< -o $@

# ---- tests: one Criterion binary, so one summary line ----
$(O)/tests/%.o: tests/%.c | $(DEPS_OK)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(O)/tests/run-tests: $(TEST_OBJS) $(VMM_LIB_OBJS) $(HOST_PVOPS_OBJS) \
		$(PATCHDATA_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lcriterion -lcapstone -lseccomp -lm

# ---- test helpers: small host programs the tests start ----
$(O)/tests/helpers/%.o: tests/helpers/%.c | $(DEPS_OK)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(O)/tests/sandbox-breach: $(O)/tests/helpers/sandbox_breach.o \
		$(O)/vmm/sandbox.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lseccomp

TEST_HELPERS := $(O)/tests/sandbox-breach

# ---- benchmark tools (host) ----
BENCH_CFLAGS := $(HOST_CFLAGS) -Ipvops -Itests
$(O)/bench/%.o: bench/%.c | $(DEPS_OK)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(O)/bench/launch: $(O)/bench/launch.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

$(O)/bench/report: $(O)/bench/report.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

# (not the relocation test patchlet: it calls into the tests)
$(O)/bench/patch_bench: $(O)/bench/patch_bench.o $(O)/tests/pv_host.o \
		$(HOST_PVOPS_OBJS) \
		$(filter-out $(O)/patchdata/selftest.o,$(PATCHDATA_OBJS))
	$(call msg,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

BENCH_TOOLS := $(addprefix $(O)/bench/,launch report patch_bench)

# ---- fuzzing: libFuzzer harnesses (clang), with ASan and UBSan ----
FUZZ_SECONDS ?= 60
FUZZERS := loader hypercall cmdline
FUZZ_CFLAGS := -std=c11 -Wpedantic -D_GNU_SOURCE -g -O1 -Wall -Wextra \
	-Werror -Iinclude -Ivmm \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_VMM_SRCS := $(addprefix vmm/,loader_pvh.c start_info.c guestmem.c \
	hypercall.c serial.c options.c)
FUZZ_OK := $(O)/.deps-fuzz-ok

$(FUZZ_OK): scripts/deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)scripts/deps.sh --fuzz
	$(Q)touch $@

$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_VMM_SRCS) include/*.h vmm/vmm.h \
		| $(FUZZ_OK)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_VMM_SRCS)

fuzz: $(FUZZERS:%=$(O)/fuzz/fuzz_%)
	scripts/fuzz.sh $(O) $(FUZZ_SECONDS) $(FUZZERS)

# ---- running ----
run: $(O)/minivmm $(O)/guest.elf
	$(O)/minivmm --timeout $(TIMEOUT) --cmdline "$(CMDLINE)" $(O)/guest.elf

qemu: $(O)/guest.elf
	scripts/run-qemu.sh --timeout $(TIMEOUT) $(O)/guest.elf "$(CMDLINE)"

qemu-gdb: $(O)/guest.elf
	@echo "QEMU waits for gdb: gdb -ex 'target remote :1234' $(O)/guest.elf"
	scripts/run-qemu.sh --gdb $(O)/guest.elf "$(CMDLINE)"

# The suite twice: as built, then with minivmm and the tests under ASan and
# UBSan (in $(O)/san). The sanitized run's Criterion summary comes last.
check: check-paths check-one check-sanitized

# Every file a comment or a doc names exists (scripts/check-paths.sh).
check-paths:
	$(Q)scripts/check-paths.sh

check-one: $(O)/tests/run-tests $(O)/minivmm $(O)/guest.elf $(TINY_ELFS) \
		$(GUEST32_ELFS) $(BENCH_TOOLS) $(TEST_HELPERS)
	$(TEST_ENV) $(O)/tests/run-tests --jobs 2

check-sanitized: check-one
	@echo "check: again under AddressSanitizer and UBSan ($(O)/san)"
	$(Q)$(MAKE) --no-print-directory O=$(O)/san SAN=1 check-one

bench: $(O)/minivmm $(O)/guest.elf $(BENCH_TOOLS)
	$(Q)scripts/deps.sh --bench
	bench/bench.sh $(O)

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
