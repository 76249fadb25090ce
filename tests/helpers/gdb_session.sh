#!/bin/sh
# SPDX-License-Identifier: MIT
# gdb_session.sh: one debugging session, for tests/test_gdb.c: start
# minivmm with the guest waiting for gdb at ADDR, run the real gdb in batch
# mode with the guest's symbols and the commands given, and, if TEXT is not
# empty, press Ctrl-C (SIGINT to gdb) once minivmm's output shows TEXT.
# Prints gdb's output, then minivmm's, then both exit statuses. minivmm's
# --timeout is $GDB_SESSION_TIMEOUT, 300 s by default.
# usage: gdb_session.sh BUILD ADDR CPUS CMDLINE TEXT [GDB_COMMAND...]
set -u

build=$1 addr=$2 cpus=$3 cmdline=$4 when=$5
shift 5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Wait (at most TENTHS tenths of a second) until FILE shows TEXT, or PID
# is gone.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" && [ $i -lt "$4" ] && kill -0 "$3" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}

: > "$dir/minivmm.log" # there before the first wait_for reads it
"$build/minivmm" --timeout "${GDB_SESSION_TIMEOUT:-300}" --cpus "$cpus" --cmdline "$cmdline" \
	--gdb "$addr" "$build/guest.elf" > "$dir/minivmm.log" 2>&1 &
vmm=$!
wait_for "$dir/minivmm.log" "waiting for gdb" $vmm 600 # it listens first

case $addr in
unix:*) target=${addr#unix:} ;;
*) target=$addr ;;
esac
# One -ex per command, in order.
for c in "$@"; do
	set -- "$@" -ex "$c"
	shift
done
# --foreground: without it timeout runs gdb in a process group of its
# own and passes a SIGINT on twice (to gdb, then to the group); a second
# Ctrl-C before the stop reply is gdb's "Give up waiting?", which batch
# mode answers yes: "Disconnected from target".
timeout --foreground 240 gdb -batch -nx -ex "set pagination off" -ex "set confirm off" \
	-ex "file $build/guest.elf" -ex "target remote $target" "$@" \
	> "$dir/gdb.log" 2>&1 &
gdb=$!
if [ -n "$when" ]; then
	wait_for "$dir/minivmm.log" "$when" $gdb 1200
	sleep 0.5
	kill -INT $gdb 2>/dev/null
fi
wait $gdb
gdb_status=$?
wait $vmm
vmm_status=$?
echo "=== gdb"
cat "$dir/gdb.log"
echo "=== minivmm"
cat "$dir/minivmm.log"
echo "=== status: gdb $gdb_status, minivmm $vmm_status"
