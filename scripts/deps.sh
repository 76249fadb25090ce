#!/bin/sh
# SPDX-License-Identifier: MIT
# deps.sh: install, with apt-get, whatever building, running and testing
# minivmm needs and this machine lacks (Debian 12). Prints what it installs;
# prints nothing and does nothing when all is there. docs/dependencies.md
# says why each package is needed. usage: deps.sh [--bench|--fuzz]
# (--bench, --fuzz: also what `make bench` or `make fuzz` needs)
set -eu

missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_file() { [ -e "$1" ] || missing="$missing $2"; }

need_cmd gcc gcc
need_cmd make make
need_cmd ld binutils
need_cmd git git
need_cmd nasm nasm
need_cmd gdb gdb
need_cmd qemu-system-x86_64 qemu-system-x86
need_file /usr/share/qemu/bios-microvm.bin qemu-system-data
need_file /usr/include/criterion/criterion.h libcriterion-dev
need_file /usr/include/capstone/capstone.h libcapstone-dev
need_file /usr/include/gelf.h libelf-dev
need_file /usr/include/elfutils/libdw.h libdw-dev
need_file /usr/include/seccomp.h libseccomp-dev
if [ "${1:-}" = "--bench" ]; then
	need_cmd strace strace
	need_cmd gnuplot gnuplot-nox
	need_cmd valgrind valgrind
fi
if [ "${1:-}" = "--fuzz" ]; then
	need_cmd clang clang
	# shellcheck disable=SC2144 # one match is enough
	[ -e /usr/lib/llvm-14/lib/clang/14*/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
		ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
			>/dev/null 2>&1 || missing="$missing libclang-rt-14-dev"
fi

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once.
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086 # word splitting of the package list is wanted
$sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "deps: done"
