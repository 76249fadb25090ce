#!/bin/sh
# SPDX-License-Identifier: MIT
# check-paths.sh: every file a comment or a doc names must exist. Scans the
# tracked sources and docs for names with one of our extensions: a path
# (vmm/run.c) must exist as written, a bare name (run.c) somewhere in the
# tree. Generated files (build/include/*.inc) and system headers count as
# existing; #include lines are the compiler's to check. Prints each stale
# name with where it appears, and exits 1 if there is one.
# usage: scripts/check-paths.sh (from the top of the tree)
set -eu

generated="abi.inc pv_abi.inc pv_feature.inc pv_op_list.inc pv_unwind.inc smp.inc"
files=$(git ls-files '*.c' '*.h' '*.S' '*.inc' '*.ld' '*.sh' '*.md' \
	'*.supp' Makefile .ci/run)
names=$(git ls-files | sed 's|.*/||' | sort -u)

exists() {
	case " $generated " in *" $1 "*) return 0 ;; esac
	case "$1" in
	*/*)
		# a path: from the top, a system one (/usr/include/...,
		# linux/kvm.h), or generated under build/
		[ -e "$1" ] || [ -e "/$1" ] || [ -e "/usr/include/$1" ] &&
			return 0
		case " $generated " in *" ${1##*/} "*) return 0 ;; esac
		case "$1" in build/*) return 0 ;; esac
		return 1 ;;
	esac
	echo "$names" | grep -qx -- "$1" && return 0
	[ -e "/usr/include/$1" ] && return 0
	return 1
}

bad=0
for f in $files; do
	grep -v '^[ 	]*#[ 	]*include' "$f" |
	grep -oE '([A-Za-z0-9_.-]+/)*[A-Za-z0-9_-]+\.(c|h|S|inc|ld|md|sh|supp)\b' |
	sort -u |
	while read -r name; do
		exists "$name" || echo "$f: names $name, which does not exist"
	done
done > /tmp/check-paths.$$ || true
if [ -s /tmp/check-paths.$$ ]; then
	cat /tmp/check-paths.$$
	rm -f /tmp/check-paths.$$
	exit 1
fi
rm -f /tmp/check-paths.$$
echo "check-paths: every file named in $(echo "$files" | wc -l) files exists"
