#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fuzz.sh: run each libFuzzer harness for SECONDS, starting from its seed
# corpus in tests/fuzz/corpus/NAME (read only) and the inputs found so far
# in BUILD/fuzz/corpus/NAME (grown). Prints executions and coverage per
# harness; a crash leaves BUILD/fuzz/crash-NAME-* and fails the run (copy
# it into tests/fuzz/corpus/NAME as a regression input once fixed).
# usage: scripts/fuzz.sh BUILD SECONDS NAME...
set -uo pipefail

build=$1
seconds=$2
shift 2
failed=0
for name in "$@"; do
	work=$build/fuzz/corpus/$name
	log=$build/fuzz/$name.log
	mkdir -p "$work"
	"$build/fuzz/fuzz_$name" -max_total_time="$seconds" -close_fd_mask=3 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/crash-$name-" \
		"$work" "tests/fuzz/corpus/$name" > "$log" 2>&1
	status=$?
	execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
	last=$(grep -E '#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<< "$last")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<< "$last")
	echo "fuzz: $name: ${execs:-0} executions in ${seconds}s, coverage ${cov:-?} edges, ${ft:-?} features, corpus $(ls "$work" | wc -l) inputs"
	if [ "$status" -ne 0 ]; then
		echo "fuzz: $name FAILED (status $status); see $log:" >&2
		grep -E 'ERROR|SUMMARY|crash-' "$log" | head -n 5 >&2
		failed=1
	fi
done
exit $failed
