#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nested_kvm_test.sh: the tests of scripts/nested-kvm.sh, run on the host
# (the Criterion suite itself runs inside the nested machine there):
# what crosses into the machine and back (stdout, stderr, status, folder,
# environment), what it may write, what the tests inside need (/dev/kvm,
# /dev/fd, /dev/shm, loopback), its bounds (timeout, wedge watchdog), a
# killed runner taking its QEMU, and the refusals. Ends with one line
# "nested-kvm: N passed, N failed". usage: nested_kvm_test.sh BUILD_DIR
set -u

build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
nk="$here"/scripts/nested-kvm.sh
tmp=$(mktemp -d "$build/nested-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "[PASS] nested-kvm: $1"; }
bad() { fail=$((fail + 1)); echo "[FAIL] nested-kvm: $1"; }
# check NAME COND...: COND is a command; its success passes NAME.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# One boot for what crosses: a command that reports on its world.
outside="$here/.nested-test-outside.$$"
cd "$here/scripts" || exit 1
NESTED_TEST_VAR="a b'c" "$nk" --build "$build" --timeout 300 bash -c '
	echo "out: pwd=$PWD var=$NESTED_TEST_VAR"
	echo "err: to stderr" >&2
	[ -c /dev/kvm ] && echo "out: kvm"
	[ -e /dev/fd/0 ] && echo "out: fd"
	[ -d /dev/shm ] && touch /dev/shm/x && echo "out: shm"
	ip link show lo | grep -q "UP" && echo "out: lo up"
	touch "$1" && echo "out: wrote outside"
	echo inside >"$2/written" && echo "out: wrote build"
	exit 7' _ "$outside" "$tmp" >"$tmp/out" 2>"$tmp/err"
status=$?
cd "$here" || exit 1
check "the command's status comes back (7)" [ "$status" -eq 7 ]
[ "$status" -eq 7 ] || { echo "status $status; stderr:"; cat "$tmp/err"; }
check "its stdout comes back, apart from stderr" \
	grep -qx "out: pwd=$here/scripts var=a b'c" "$tmp/out"
check "its stderr comes back, apart from stdout" \
	grep -qx "err: to stderr" "$tmp/err"
check "stdout holds no stderr" bash -c "! grep -q '^err:' '$tmp/out'"
check "/dev/kvm is there inside" grep -qx "out: kvm" "$tmp/out"
check "/dev/fd and /dev/shm are there inside" \
	bash -c "grep -qx 'out: fd' '$tmp/out' && grep -qx 'out: shm' '$tmp/out'"
check "loopback is up inside" grep -qx "out: lo up" "$tmp/out"
check "a write outside the build folder stays inside" \
	bash -c "grep -qx 'out: wrote outside' '$tmp/out' && [ ! -e '$outside' ]"
check "a write in the build folder reaches the host" \
	bash -c "[ \"\$(cat '$tmp/written' 2>/dev/null)\" = inside ]"
rm -f "$outside"

# The whole run is bounded.
"$nk" --build "$build" --timeout 15 sleep 600 >"$tmp/out" 2>"$tmp/err"
status=$?
check "--timeout stops a command that runs on (124)" [ "$status" -eq 124 ]
check "--timeout says so" grep -q "still runs after --timeout 15 s" "$tmp/err"

# A machine that stops answering is declared wedged (here: one that has
# not answered yet, with the watchdog cut below the heartbeat's 5 s).
NESTED_WEDGE_SECS=2 "$nk" --build "$build" --timeout 60 true \
	>"$tmp/out" 2>"$tmp/err"
status=$?
check "a silent machine is stopped (124)" [ "$status" -eq 124 ]
check "the watchdog says why and where its CPUs are" \
	bash -c "grep -q 'did not come up within 2 s' '$tmp/err' &&
		grep -q 'CPU#0: rip ' '$tmp/err'"

# A runner killed with SIGKILL, which it cannot catch, takes its QEMU.
"$nk" --build "$build" --timeout 300 sleep 600 >/dev/null 2>&1 &
runner=$!
qemu=""
for _ in $(seq 1 60); do
	qemu=$(pgrep -P "$runner" -f qemu-system-x86_64 || true)
	[ -n "$qemu" ] && break
	sleep 0.5
done
if [ -z "$qemu" ]; then
	bad "a killed runner takes its QEMU (QEMU never started)"
	kill "$runner" 2>/dev/null
else
	kill -KILL "$runner"
	wait "$runner" 2>/dev/null
	for _ in $(seq 1 20); do
		kill -0 "$qemu" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$qemu" 2>/dev/null; then
		bad "a killed runner takes its QEMU (pid $qemu still runs)"
		kill -KILL "$qemu"
	else
		ok "a killed runner takes its QEMU"
	fi
fi

# Refusals: each exit 125 with the reason, before any machine starts.
"$nk" --build "$build" >/dev/null 2>"$tmp/err"
check "no command: usage, 125" bash -c "[ $? -eq 125 ] && grep -q usage '$tmp/err'"
"$nk" --build "$build" --cpus two true >/dev/null 2>"$tmp/err"
check "a bad number: 125, named" \
	bash -c "[ $? -eq 125 ] && grep -q \"not a decimal number: 'two'\" '$tmp/err'"
mkdir "$tmp/bin" # a PATH with the tools it needs first, and no QEMU
for tool in dirname mkdir; do ln -s "$(command -v "$tool")" "$tmp/bin/$tool"; done
PATH="$tmp/bin" /bin/bash "$nk" --build "$build" true >/dev/null 2>"$tmp/err"
check "no QEMU: 125, named" \
	bash -c "[ $? -eq 125 ] && grep -q 'qemu-system-x86_64 not found' '$tmp/err'"

echo "nested-kvm: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
