#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# conformance.sh: the kernel's own iommufd and VFIO selftests (Linux 7.2),
# unmodified, run under `uiommu exec` (SPEC F-6).
#
# Usage: scripts/conformance.sh [--update-ratchet] [BUILD_DIR]   (default BUILD_DIR: build)
#
# The kernel tree comes from Debian's linux-source-7.2 package, fetched
# at run time into a cache (never committed; GPL). The tests are built in
# BUILD_DIR/conformance against the tree's uAPI headers, each binary runs
# under BUILD_DIR/uiommu exec, and its kselftest (TAP) output is counted:
# per suite "N passed, M failed, K skipped" and the failing cases.
#
# tests/conformance/ratchet.txt lists cases that must pass; a listed case
# that does not pass fails the run (exit 1). --update-ratchet adds the
# cases that pass now. Without the package (no network, no mirror), the
# run is skipped with a message and exit 0.
#
# Env: UIOMMU_LINUX_SRC   the tree (default ~/.cache/uiommu/linux-7.2)
#      LINUX_SOURCE_SH    the fetcher (default scripts/fetch-linux-source.sh)
#      CONFORMANCE_BDF    the free dmatest function for the VFIO tests (0000:00:02.0)
#      CONFORMANCE_ONLY   run only these binaries (space-separated names)
#      CONFORMANCE_TIMEOUT seconds per binary (1800)
set -euo pipefail

update=0
if [ "${1:-}" = --update-ratchet ]; then update=1; shift; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
SRC=${UIOMMU_LINUX_SRC:-$HOME/.cache/uiommu/linux-7.2}
FETCH=${LINUX_SOURCE_SH:-$ROOT/scripts/fetch-linux-source.sh}
BDF=${CONFORMANCE_BDF:-0000:00:02.0}
TMO=${CONFORMANCE_TIMEOUT:-1800}
RATCHET=$ROOT/tests/conformance/ratchet.txt
COMPAT=$ROOT/tests/conformance/compat
OUT=$BUILD/conformance
U=$BUILD/uiommu

IOMMU_TESTS="iommufd iommufd_fail_nth"
VFIO_TESTS="vfio_iommufd_setup_test vfio_dma_mapping_test vfio_dma_mapping_mmio_test
            vfio_pci_device_test vfio_pci_device_init_perf_test"

die() { echo "conformance: $*" >&2; exit 1; }
skip() { echo "conformance: SKIP: $*"; exit 0; }

[ -x "$U" ] || die "$U not built (run make first)"

# ---- the kernel tree ----
if [ ! -f "$SRC/.complete" ]; then
	[ -x "$FETCH" ] || skip "no Linux 7.2 tree at $SRC and no fetcher ($FETCH)"
	"$FETCH" "$SRC" >/dev/null 2>"$BUILD/conformance-fetch.log" ||
		skip "cannot fetch linux-source-7.2 ($(tail -1 "$BUILD/conformance-fetch.log"))"
fi
ST=$SRC/tools/testing/selftests
[ -f "$ST/iommu/iommufd.c" ] && [ -d "$ST/vfio/lib" ] || die "$SRC lacks the selftests"

# ---- uAPI headers, as `make headers` installs them ----
mkdir -p "$OUT/scripts" "$OUT/usr/include"
hdr_stamp=$OUT/usr/include/.installed
if [ ! -f "$hdr_stamp" ]; then
	command -v unifdef >/dev/null || die "unifdef missing (scripts/deps.sh)"
	# headers_install.sh calls scripts/unifdef relative to where it runs.
	ln -sf "$(command -v unifdef)" "$OUT/scripts/unifdef"
	(cd "$SRC/include/uapi" && find linux asm-generic -name '*.h') | while read -r h; do
		mkdir -p "$OUT/usr/include/$(dirname "$h")"
		(cd "$OUT" && sh "$SRC/scripts/headers_install.sh" "$SRC/include/uapi/$h" \
			"$OUT/usr/include/$h") 2>/dev/null || die "headers_install: $h"
	done
	touch "$hdr_stamp"
fi

# ---- building the tests ----
CC=${CC:-cc}
BASE_CFLAGS="-O2 -D_GNU_SOURCE -isystem $OUT/usr/include"
build_iommu() {
	mkdir -p "$OUT/iommu"
	for t in $IOMMU_TESTS; do
		$CC $BASE_CFLAGS -Wall -Wno-unused-function -I"$ST" -o "$OUT/iommu/$t" \
			"$ST/iommu/$t.c" -lcap -lpthread || die "building $t"
	done
}

# The selftest library as lib/libvfio.mk builds it, with stand-ins for
# what the extracted tree lacks (tests/conformance/compat says why).
build_vfio() {
	local v=$ST/vfio cflags extra=() objs=()
	mkdir -p "$OUT/vfio/lib" "$OUT/compat/linux"
	cflags="$BASE_CFLAGS -Wall -I$SRC/tools/include -I$SRC/tools/arch/x86/include
		-I$v/lib/include -I$ST"
	if [ ! -e "$SRC/tools/include/linux/pci_ids.h" ]; then
		cp "$COMPAT/linux/pci_ids.h" "$OUT/compat/linux/"
		cflags="-I$OUT/compat $cflags"
	fi
	if ! grep -rqs 'calloc_assert(size_t\|define calloc_assert' "$v/lib/include"; then
		cflags="$cflags -include $COMPAT/calloc_assert.h"
	fi
	local srcs="iommu.c iova_allocator.c libvfio.c sysfs.c vfio_pci_device.c vfio_pci_driver.c
		    drivers/dsa/dsa.c"
	if [ -e "$v/lib/drivers/ioat/hw.h" ]; then
		srcs="$srcs drivers/ioat/ioat.c"
	else
		extra+=("$COMPAT/ioat_stub.c")
	fi
	for s in $srcs "${extra[@]}"; do
		case $s in /*) ;; *) s=$v/lib/$s ;; esac
		local o=$OUT/vfio/lib/$(basename "$s" .c).o
		# shellcheck disable=SC2086
		$CC $cflags -c "$s" -o "$o" 2>"$o.log" || { cat "$o.log" >&2; die "building $s"; }
		objs+=("$o")
	done
	for t in $VFIO_TESTS; do
		# shellcheck disable=SC2086
		$CC $cflags -o "$OUT/vfio/$t" "$v/$t.c" "${objs[@]}" -luuid -lpthread 2>"$OUT/vfio/$t.log" ||
			{ cat "$OUT/vfio/$t.log" >&2; die "building $t"; }
	done
}

stamp=$OUT/.built-$(cat "$SRC/.complete" 2>/dev/null | tr -c 'A-Za-z0-9._\n-' _)
if [ ! -f "$stamp" ] || [ "$0" -nt "$stamp" ]; then
	echo "conformance: building the selftests of $(cat "$SRC/.complete") in $OUT"
	build_iommu
	build_vfio
	touch "$stamp"
fi

# ---- hugetlb pages for the cases that need them (root only) ----
# 64 of 2 MiB: iommufd's domain_dirty128M_huge maps 128 MiB of them.
hp=/proc/sys/vm/nr_hugepages
hp_old=
if [ "$(id -u)" -eq 0 ] && [ -w "$hp" ] && [ "$(cat "$hp")" -lt 64 ]; then
	hp_old=$(cat "$hp")
	echo 64 >"$hp" 2>/dev/null || hp_old=
fi
restore() { [ -z "$hp_old" ] || echo "$hp_old" >"$hp" 2>/dev/null || true; }
trap restore EXIT

# ---- running ----
wanted() { [ -z "${CONFORMANCE_ONLY:-}" ] || [[ " $CONFORMANCE_ONLY " == *" $1 "* ]]; }

run() { # suite binary exec-options... -- args...
	local suite=$1 bin=$2; shift 2
	local opts=() args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	args=("$@")
	wanted "$suite" || return 0
	local rc=0
	timeout -k 10 "$TMO" "$U" exec "${opts[@]}" -- "$bin" "${args[@]}" \
		>"$OUT/$suite.tap" 2>&1 </dev/null || rc=$?
	[ $rc -ne 124 ] || echo "# conformance: $suite timed out after ${TMO}s" >>"$OUT/$suite.tap"
}

for t in $IOMMU_TESTS; do run "$t" "$OUT/iommu/$t" --selftest; done
for t in $VFIO_TESTS; do run "$t" "$OUT/vfio/$t" -- "$BDF"; done

# ---- counting ----
# A TAP line per case: "ok N name", "ok N name # SKIP why", "not ok N name";
# cases the plan ("1..N") announced but no line reported (a crash) fail.
: >"$OUT/results.txt"
total_fail=0
for suite in $IOMMU_TESTS $VFIO_TESTS; do
	wanted "$suite" || continue
	tap=$OUT/$suite.tap
	[ -f "$tap" ] || continue
	awk -v suite="$suite" '
		/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0 }
		/^ok [0-9]+ / {
			name = $3
			if ($0 ~ /# SKIP/) { print suite, name, "skip"; s++ } else { print suite, name, "pass"; p++ }
			n++
		}
		/^not ok [0-9]+ / { print suite, $4, "fail"; f++; n++ }
		END {
			if (plan > n) { for (i = n; i < plan; i++) print suite, "(unreported-" i + 1 ")", "fail"; f += plan - n }
			if (!plan && !n) print suite, "(ended-before-its-plan)", "fail"
		}' "$tap" >>"$OUT/results.txt"
	p=$(awk -v s="$suite" '$1 == s && $3 == "pass"' "$OUT/results.txt" | wc -l)
	f=$(awk -v s="$suite" '$1 == s && $3 == "fail"' "$OUT/results.txt" | wc -l)
	k=$(awk -v s="$suite" '$1 == s && $3 == "skip"' "$OUT/results.txt" | wc -l)
	echo "$suite: $p passed, $f failed, $k skipped"
	awk -v s="$suite" '$1 == s && $3 == "fail" { print "    FAIL " $2 }' "$OUT/results.txt"
	total_fail=$((total_fail + f))
done
echo "conformance: TAP output and results in $OUT"

# ---- the ratchet ----
if [ $update -eq 1 ]; then
	tmp=$(mktemp)
	{ grep -v '^[^#]' "$RATCHET" 2>/dev/null || true
	  { grep '^[^#]' "$RATCHET" 2>/dev/null || true
	    # hugetlb-backed cases pass only where pages can be had: not listed
	    # (iommufd's say "huge", and access_domain_destory).
	    awk '$3 == "pass" && $2 !~ /huge|access_domain_destory/ { print $1, $2 }' \
		"$OUT/results.txt"; } |
		sort -u; } >"$tmp"
	mv "$tmp" "$RATCHET"
	echo "conformance: $RATCHET now lists $(grep -c '^[^#]' "$RATCHET") cases"
fi
regressions=0
while read -r suite name; do
	case $suite in ''|'#'*) continue ;; esac
	wanted "$suite" || continue
	if ! awk -v s="$suite" -v n="$name" '$1 == s && $2 == n && $3 == "pass" { f = 1 } END { exit !f }' \
		"$OUT/results.txt"; then
		echo "conformance: REGRESSION: $suite $name no longer passes" >&2
		regressions=$((regressions + 1))
	fi
done <"$RATCHET"
[ $regressions -eq 0 ] || die "$regressions case(s) of the ratchet failed"
echo "conformance: every case of the ratchet passed ($(grep -c '^[^#]' "$RATCHET") listed)"
