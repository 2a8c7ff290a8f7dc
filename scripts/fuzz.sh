#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# fuzz.sh: run the libFuzzer harnesses of tests/fuzz (issue #12, SPEC R-1).
#
# Usage: scripts/fuzz.sh [--time SECONDS] [--keep DIR] [BUILD_DIR [HARNESS...]]
#   BUILD_DIR  the `make fuzz` build (default build-fuzz)
#   HARNESS    fuzz_ioctl fuzz_topology fuzz_dsa fuzz_vtd (default: all)
#   --time     seconds per harness (default 60)
#   --keep     keep each harness's working corpus in DIR/<harness> (default:
#              a temporary directory, removed after)
#
# Each harness starts from its seed corpus (tests/fuzz/corpus/<harness>)
# and its regressions, with its dictionary when there is one, one process
# at a time. A crash, leak or oracle failure stops the run: the input is
# left in BUILD_DIR/fuzz-artifacts/ and the script exits 1. The last line
# per harness says runs, exec/s and coverage (cov, ft).
set -eu
time=60
keep=
while [ $# -gt 0 ]; do
	case $1 in
	--time) time=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) break ;;
	esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-fuzz}
[ $# -gt 0 ] && shift
harnesses=${*:-fuzz_ioctl fuzz_topology fuzz_dsa fuzz_vtd}
art=$build/fuzz-artifacts
mkdir -p "$art"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for h in $harnesses; do
	bin=$build/tests/fuzz/$h
	[ -x "$bin" ] || { echo "fuzz: $bin not built (make fuzz)" >&2; exit 1; }
	work=${keep:+$keep/$h}
	work=${work:-$tmp/$h}
	mkdir -p "$work"
	set -- -max_total_time="$time" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$art/$h-"
	[ -f "$root/tests/fuzz/dict/$h.dict" ] && set -- "$@" -dict="$root/tests/fuzz/dict/$h.dict"
	dirs="$work"
	for d in "$root/tests/fuzz/corpus/$h" "$root/tests/fuzz/regressions/$h"; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	log=$art/$h.log
	# shellcheck disable=SC2086
	if "$bin" "$@" $dirs >"$log" 2>&1; then
		last=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		echo "fuzz: $h: ${runs:-?} runs, ${rate:-?} exec/s, $(echo "$last" |
			grep -o 'cov: [0-9]* ft: [0-9]*')"
	else
		echo "fuzz: $h FAILED - $(grep -E 'ERROR|fuzz oracle|SUMMARY' "$log" | head -3 | tr '\n' ' ')"
		echo "fuzz: the input is in $art/, the log in $log"
		status=1
	fi
done
exit $status
