#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh: the host side of `make bench`. Boots the benchmark guest in
# minivmm (every op on every path, one boot; then live switching with two
# vCPUs: IPI round trip, sync, switch cost), times launches of minivmm
# and QEMU microvm, counts syscalls per hypercall with strace, runs the
# map/unmap workload per N and mode (what lazy mode's batching buys),
# measures the patch engine on the host, then writes build/bench.json,
# prints the
# table and draws build/bench.svg; a copy of the latest table, chart and
# JSON goes to docs/bench/ with --publish. usage: bench/bench.sh BUILD_DIR,
# then bench/bench.sh --publish BUILD_DIR
set -euo pipefail

# --publish: copy the latest results into docs/bench/, on the host (a run
# inside the nested machine may write only the build folder).
if [ "${1:-}" = "--publish" ]; then
	O=${2:-build}
	mkdir -p docs/bench
	cp "$O/bench.svg" docs/bench/latest.svg
	cp "$O/bench.json" docs/bench/latest.json
	{
		grep '^machine\.' "$O/bench.facts"
		echo
		cat "$O/bench.txt"
	} > docs/bench/latest.txt
	echo "bench: copies of $O/bench.{json,svg,txt} in docs/bench/"
	exit 0
fi

O=${1:-build}
RUNS=${RUNS:-10}
HCLOOP=${HCLOOP:-2000}
facts=$O/bench.facts
log=$O/bench.guest.log

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "bench: /dev/kvm is not usable here: the benchmark needs KVM" >&2
	exit 1
fi

kvm=none
[ -d /sys/module/kvm_intel ] && kvm=vmx
[ -d /sys/module/kvm_amd ] && kvm=svm
[ -d /sys/module/kvm_pvm ] && kvm=pvm
# Where it runs: on the host's KVM, or inside the nested machine
# (scripts/nested-kvm.sh sets NESTED_KVM), where every cycle is TCG's.
if [ -n "${NESTED_KVM:-}" ]; then
	environment=$NESTED_KVM
	nested=1
else
	environment="bare: the host's KVM ($kvm)"
	nested=0
fi
{
	echo "machine.environment=$environment"
	echo "machine.nested=$nested"
	echo "machine.cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "machine.kernel=$(uname -r)"
	echo "machine.kvm=$kvm"
	echo "machine.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$facts"

echo "bench: every op on every path, in minivmm ($kvm)"
if ! "$O/minivmm" --stats --timeout 600 --cmdline "pvops=native bench" \
	"$O/guest.elf" > "$log" 2>&1; then
	cat "$log" >&2
	echo "bench: the benchmark guest failed" >&2
	exit 1
fi

echo "bench: live switching, in minivmm --cpus 2 ($kvm)"
if ! "$O/minivmm" --cpus 2 --timeout 600 \
	--cmdline "pvops=native bench.switch" "$O/guest.elf" >> "$log" 2>&1; then
	cat "$log" >&2
	echo "bench: the live-switch benchmark failed" >&2
	exit 1
fi

echo "bench: launch to exit, $RUNS runs each"
{
	echo "launch.runs=$RUNS"
	echo "launch.guest_mem_kib=65536"
	"$O/bench/launch" "$RUNS" 0 "$O/minivmm" --mem 64M --cmdline exit \
		"$O/guest.elf" | sed 's/^/launch.minivmm./'
	mapfile -t qemu < <(scripts/run-qemu.sh --accel kvm --print-cmd \
		"$O/guest.elf" exit)
	# The guest leaves through isa-debug-exit: (0x20 << 1) | 1 = 65.
	"$O/bench/launch" "$RUNS" 65 "${qemu[@]}" | sed 's/^/launch.qemu./'
} >> "$facts"

echo "bench: syscalls per hypercall (strace, $HCLOOP null hypercalls)"
calls() {
	strace -f -c -o "$O/bench.strace" "$O/minivmm" --cmdline "hcloop=$1" \
		"$O/guest.elf" > /dev/null
	# % time, seconds, usecs/call, calls, [errors,] "total"
	awk '$NF == "total" { print $4 }' "$O/bench.strace"
}
c0=$(calls 0)
c1=$(calls "$HCLOOP")
echo "hypercall.syscalls_per_hypercall=$(awk -v a="$c0" -v b="$c1" \
	-v n="$HCLOOP" 'BEGIN { printf "%.3f", (b - a) / n }')" >> "$facts"

echo "bench: exits and host instructions per hypercall ($HCLOOP null hypercalls)"
# Exits from minivmm's own counters; host user-space instructions from
# callgrind (it counts instructions, not time: the same on bare metal and
# nested). The difference of two runs leaves only the hypercalls.
exits() {
	"$O/minivmm" --stats --cmdline "hcloop=$1" "$O/guest.elf" 2>&1 |
		sed -n 's/^stats: \([0-9]*\) exits.*/\1/p'
}
e0=$(exits 0)
e1=$(exits "$HCLOOP")
echo "hypercall.exits_per_hypercall=$(awk -v a="$e0" -v b="$e1" \
	-v n="$HCLOOP" 'BEGIN { printf "%.3f", (b - a) / n }')" >> "$facts"
irs() {
	valgrind --tool=callgrind --callgrind-out-file="$O/bench.callgrind" \
		"$O/minivmm" --no-sandbox --cmdline "hcloop=$1" "$O/guest.elf" \
		> /dev/null 2> "$O/bench.valgrind"
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$O/bench.callgrind"
}
i0=$(irs 0)
i1=$(irs "$HCLOOP")
echo "hypercall.host_insns_per_hypercall=$(awk -v a="$i0" -v b="$i1" \
	-v n="$HCLOOP" 'BEGIN { printf "%.1f", (b - a) / n }')" >> "$facts"

# The map/unmap workload (guest/test/map_bench.c): one boot per N and
# mode, and one per pvops mode with no workload. minivmm's own counters
# give the exits exactly: the set_pte, flush_tlb_one and MULTICALL exits
# of the run, less those of the run without the workload, over the ops
# the workload added. Host time per exit: that run's median handling.
MAP_NS=${MAP_NS:-1 8 64 512}
echo "bench: map/unmap workload, N = $MAP_NS: native, hypercall, hypercall+lazy"
# map_run CMDLINE: "EXITS OPS HOST_NS", the guest's BENCH map line to the log
map_run() {
	local out
	if ! out=$("$O/minivmm" --stats --timeout 900 --cmdline "$1" \
		"$O/guest.elf" 2>&1); then
		echo "$out" >&2
		echo "bench: the map workload failed: $1" >&2
		exit 1
	fi
	grep '^BENCH map ' <<<"$out" >> "$log"
	awk '/^stats: hypercalls:/ {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "multicall" || kv[1] == "set_pte" ||
			    kv[1] == "flush_tlb_one")
				exits += kv[2]
		}
	}
	/^BENCH map / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "ops")
				ops = kv[2]
		}
	}
	/^stats: hypercall handling:/ {
		for (i = 1; i <= NF; i++)
			if ($i == "median")
				ns = $(i + 1)
	}
	END { print exits + 0, ops + 0, ns + 0 }' <<<"$out"
}
for pv in native hypercall; do
	read -r e0 o0 _ < <(map_run "pvops=$pv bench.map=0")
	for lazy in "" " bench.lazy"; do
		[ "$pv" = native ] && [ -n "$lazy" ] && continue
		key=$pv${lazy:+_lazy}
		for n in $MAP_NS; do
			read -r e o ns < <(map_run "pvops=$pv bench.map=$n$lazy")
			awk -v k="map.$key.$n" -v e="$e" -v e0="$e0" -v o="$o" \
				-v o0="$o0" -v ns="$ns" 'BEGIN {
				printf "%s.exits_per_op=%.6f\n", k, (e - e0) / (o - o0)
				printf "%s.exits=%d\n", k, e - e0
				printf "%s.ops=%d\n", k, o - o0
				printf "%s.host_ns_per_exit=%s\n", k, ns }' >> "$facts"
		done
	done
done

echo "bench: the patch engine on the host"
"$O/bench/patch_bench" | sed 's/^/patch./' >> "$facts"

echo
"$O/bench/report" "$facts" "$log" "$O/bench.json" "$O/bench.dat" | \
	tee "$O/bench.txt"
gnuplot -c bench/plot.gp "$O/bench.dat" "$O/bench.svg" \
	"pvops: cycles per call by path ($kvm KVM, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))" \
	"$O/bench.dat.map"

echo "bench: wrote $O/bench.json, $O/bench.svg"
