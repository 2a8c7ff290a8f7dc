#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The floors of uiommu (docs/architecture.md), checked on the #include
# graph of src/ (issue #8):
#  1. the kernel side (base, pci, iommu, mdev, vfio, drivers, sysfs) includes
#     nothing of the hardware model but its interfaces, src/hw/iface/
#     (public register layouts are <uiommu/hw/*.h>);
#  2. every include goes to the same floor or one below it, never up -
#     so no call can run upwards but through a registered callback;
#  3. the graph of floors has no cycle (tsort finds none);
#  4. given a build directory, on the objects: no function calls one
#     defined on a floor above its own (nm), whatever header declared it.
# Usage: check-layers.sh [source root [build dir]]; exits non-zero and
# says why.
set -eu
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
build=${2:-}
cd "$root"

# A file's floor, by where it lives.
floor() {
	case $1 in
	src/util/*) echo util ;;
	src/hw/*) echo hw ;;
	src/host/assembly.c) echo assembly ;;
	src/host/*) echo host ;;
	src/base/*) echo base ;;
	src/files/*) echo files ;;
	src/mm/*) echo mm ;;
	src/pci/*) echo pci ;;
	src/iommu/intel/*) echo iommu-intel ;;
	src/iommu/mock/*) echo iommu-mock ;;
	src/iommu/*) echo iommu ;;
	src/mdev/*) echo mdev ;;
	src/iommufd/*) echo iommufd ;;
	src/vfio/*) echo vfio ;;
	src/drivers/*) echo drivers ;;
	src/*/*) f=${1#src/}; echo "${f%%/*}" ;;
	*) echo other ;;
	esac
}

# Bottom-up. Floors not listed (layers still to land) are only checked
# for cycles.
rank() {
	case $1 in
	util) echo 0 ;; hw) echo 1 ;; host) echo 2 ;; base) echo 3 ;; files) echo 4 ;;
	mm) echo 5 ;; pci) echo 6 ;; iommu) echo 7 ;; iommu-intel) echo 8 ;; mdev) echo 9 ;;
	iommufd) echo 10 ;; iommu-mock) echo 11 ;; vfio) echo 12 ;; drivers) echo 13 ;;
	sysfs) echo 14 ;; assembly) echo 15 ;; shim) echo 16 ;;
	*) echo -1 ;;
	esac
}

kernel_side() {
	case $1 in
	base | mm | pci | iommu | iommu-intel | mdev | iommufd | iommu-mock | vfio | drivers | \
	sysfs)
		return 0 ;;
	*) return 1 ;;
	esac
}

errors=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for file in $(find src -name '*.[ch]' | sort); do
	from=$(floor "$file")
	dir=$(dirname "$file")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file"); do
		target=$(realpath -m --relative-to="$root" "$dir/$inc")
		[ -e "$target" ] || target=$(realpath -m --relative-to="$root" "src/$inc")
		to=$(floor "$target")
		if kernel_side "$from"; then
			case $target in
			src/hw/iface/*) ;;
			src/hw/*)
				echo "$file: includes $inc, inside the hardware model" \
				     "(only src/hw/iface/ and <uiommu/hw/> are the hardware's interface)"
				errors=$((errors + 1)) ;;
			esac
		fi
		[ "$from" = "$to" ] && continue
		echo "$from $to" >>"$edges"
		rf=$(rank "$from")
		rt=$(rank "$to")
		if [ "$rf" -ge 0 ] && [ "$rt" -ge 0 ] && [ "$rt" -gt "$rf" ]; then
			echo "$file: includes $inc - floor '$from' reaches up to '$to'"
			errors=$((errors + 1))
		fi
	done
done

if ! sort -u "$edges" | tsort >/dev/null 2>"$edges.err"; then
	echo "the floors include each other in a circle:"
	cat "$edges.err"
	errors=$((errors + 1))
fi
rm -f "$edges.err"

# A library object's floor, from the name Meson gives it (its path under
# src/ with '/' as '_').
obj_floor() {
	case $1 in
	util_*) echo util ;; hw_* | default_topology*) echo hw ;;
	host_assembly*) echo assembly ;; host_*) echo host ;; base_*) echo base ;;
	files_*) echo files ;; pci_*) echo pci ;; iommu_intel_*) echo iommu-intel ;;
	iommu_mock_*) echo iommu-mock ;;
	iommu_*) echo iommu ;; mdev_*) echo mdev ;; vfio_*) echo vfio ;;
	drivers_*) echo drivers ;; sysfs_*) echo sysfs ;; *) echo other ;;
	esac
}

if [ -n "$build" ] && [ -d "$build/src/libuiommu.a.p" ]; then
	syms=$(mktemp)
	for o in "$build"/src/libuiommu.a.p/*.o; do
		f=$(obj_floor "$(basename "$o")")
		nm "$o" | awk -v f="$f" -v o="$(basename "$o")" \
			'NF == 3 && $2 ~ /^[TDBR]$/ { print "D", $3, f, o }
			 NF == 2 && $1 == "U" { print "U", $2, f, o }'
	done >"$syms"
	up=$(awk '
		BEGIN { n = split("util hw host base files pci iommu iommu-intel mdev iommu-mock vfio drivers sysfs assembly", fl, " ")
			for (i = 1; i <= n; i++) rank[fl[i]] = i }
		NR == FNR { if ($1 == "D") { floor[$2] = $3; where[$2] = $4 }; next }
		$1 == "U" && ($2 in floor) && ($3 in rank) && (floor[$2] in rank) &&
			rank[floor[$2]] > rank[$3] {
			print $4 " (" $3 ") calls " $2 ", defined in " where[$2] " (" floor[$2] ")"
		}' "$syms" "$syms")
	rm -f "$syms"
	if [ -n "$up" ]; then
		echo "$up"
		errors=$((errors + $(echo "$up" | wc -l)))
	else
		echo "check-layers: no call from a floor to one above it ($build)"
	fi
fi

if [ "$errors" -ne 0 ]; then
	echo "check-layers: $errors problem(s)"
	exit 1
fi
echo "check-layers: $(sort -u "$edges" | wc -l) edges between floors, all downwards, no cycle"
