#!/bin/sh
# SPDX-License-Identifier: MIT
# depgraph.sh: the guest's dependency picture, from its object files: file
# A depends on file B when A uses a symbol B defines (nm). An assembly
# file and the C file it serves are one unit (listed below: each calls
# the other by design, as entry stubs and their handler do). Prints one
# line per unit, "unit -> what it uses", and fails naming the units of
# any circle.
#
# usage: depgraph.sh [--dot] OBJECT...
#   --dot  print the picture as a Graphviz digraph instead
set -eu
dot=0
if [ "${1:-}" = "--dot" ]; then
	dot=1
	shift
fi
[ $# -gt 0 ] || { echo "usage: depgraph.sh [--dot] OBJECT..." >&2; exit 2; }

# assembly unit -> the C unit it belongs to
pairs="trap_entry=traps ap_boot=smp bench_loops=bench contract=contract_check"

for o in "$@"; do
	[ -f "$o" ] || { echo "depgraph: $o: no such object" >&2; exit 2; }
	u=$(basename "$o" .o)
	nm "$o" | awk -v u="$u" '
		NF == 3 && $2 ~ /^[TDBRW]$/ { print "def", u, $3 }
		NF == 2 && $1 == "U" { print "use", u, $2 }'
done | awk -v pairs="$pairs" -v dot="$dot" '
	BEGIN {
		n = split(pairs, p, " ")
		for (i = 1; i <= n; i++) {
			split(p[i], kv, "=")
			unit[kv[1]] = kv[2]
		}
	}
	function U(x) { return (x in unit) ? unit[x] : x }
	$1 == "def" { owner[$3] = U($2); units[U($2)] = 1; next }
	$1 == "use" { uses[++nu] = U($2) SUBSEP $3; units[U($2)] = 1 }
	END {
		for (i = 1; i <= nu; i++) {
			split(uses[i], a, SUBSEP)
			if ((a[2] in owner) && owner[a[2]] != a[1])
				edge[a[1], owner[a[2]]] = 1
		}
		for (e in edge) {
			split(e, a, SUBSEP)
			out[a[1]] = out[a[1]] " " a[2]
		}
		if (dot)
			print "digraph guest {"
		for (x in units) {
			if (dot) {
				m = split(out[x], t, " ")
				for (j = 1; j <= m; j++)
					printf "  \"%s\" -> \"%s\";\n", x, t[j]
			} else
				printf "%s ->%s\n", x, out[x] | "sort"
		}
		if (dot)
			print "}"
		close("sort")
		# Depth-first search; a grey unit met again closes a circle.
		found = 0
		for (x in units)
			color[x] = 0
		for (x in units) {
			if (color[x])
				continue
			sp = 1; stack[1] = x; idx[1] = 0; color[x] = 1
			while (sp > 0) {
				v = stack[sp]
				m = split(out[v], t, " ")
				if (idx[sp] < m) {
					w = t[++idx[sp]]
					if (color[w] == 1) {
						path = w
						for (k = sp; k >= 1 && stack[k] != w; k--)
							path = stack[k] " -> " path
						path = w " -> " path
						print "depgraph: a circle: " path > "/dev/stderr"
						found = 1
					} else if (color[w] == 0) {
						color[w] = 1
						stack[++sp] = w; idx[sp] = 0
					}
				} else {
					color[v] = 2
					sp--
				}
			}
		}
		exit found
	}'
