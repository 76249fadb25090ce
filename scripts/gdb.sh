#!/bin/sh
# SPDX-License-Identifier: MIT
# gdb.sh: `make gdb`: the guest in minivmm, held before its first
# instruction and waiting for gdb on a unix socket in /tmp, and gdb
# attached to it with the guest's symbols. With FILE, gdb runs its
# commands first; without a terminal (the nested KVM machine has none) gdb
# runs FILE in batch mode, and FILE is needed. docs/running.md shows a
# session. usage: scripts/gdb.sh BUILD CPUS CMDLINE [FILE]
set -u

build=$1 cpus=$2 cmdline=$3 file=${4:-}
# (in /tmp: the nested machine's 9p share cannot hold a socket)
sock=${TMPDIR:-/tmp}/minivmm-gdb-$$.sock

"$build/minivmm" --cpus "$cpus" --cmdline "$cmdline" --gdb "unix:$sock" \
	"$build/guest.elf" &
vmm=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 600 ] && kill -0 $vmm 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
set -- -nx -ex "set pagination off" -ex "target remote $sock"
[ -n "$file" ] && set -- "$@" -x "$file"
if [ -t 0 ]; then
	gdb "$@" "$build/guest.elf"
elif [ -n "$file" ]; then
	gdb -batch "$@" "$build/guest.elf"
else
	echo "gdb.sh: no terminal here: give gdb a command file" \
		"(make gdb GDB_X=FILE)" >&2
	kill $vmm
fi
wait $vmm
