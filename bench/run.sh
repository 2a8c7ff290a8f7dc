#!/bin/sh
# Run every benchmark of a build directory; each prints JSON lines.
set -eu
dir=${1:-build-release}
for b in bench_translate bench_dma bench_map bench_dsa bench_iommufd bench_iopf bench_dirty \
	bench_pasid bench_vfio; do
	if [ -x "$dir/bench/$b" ]; then
		"$dir/bench/$b"
	fi
done
# A client program, under the exec shim.
if [ -x "$dir/bench/bench_shim" ]; then
	"$dir/uiommu" exec -- "$dir/bench/bench_shim"
fi
