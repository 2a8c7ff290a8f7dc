#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every allocation of the kernel side goes through the kmalloc family of
# src/util/slab.h (fault points, SPEC R-2): no call of the C library's
# allocators in src/ outside the hardware model (src/hw, the machine) and
# the allocator itself. A deliberate exception carries the comment
# "check-alloc: ok" on its line.
# Usage: check-alloc.sh [source root]; exits non-zero listing the calls.
set -eu
cd "${1:-$(dirname "$0")/..}"
found=$(grep -rnE '(^|[^[:alnum:]_.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc|asprintf|vasprintf|open_memstream)[[:space:]]*\(' \
	--include='*.c' --include='*.h' src |
	grep -v '^src/hw/' | grep -v '^src/util/slab\.c:' | grep -v 'check-alloc: ok' |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' || true)
if [ -n "$found" ]; then
	echo "$found"
	echo "check-alloc: allocate with kmalloc/kzalloc/kcalloc/krealloc/kstrdup (src/util/slab.h)"
	exit 1
fi
echo "check-alloc: every allocation of src/ outside src/hw goes through util/slab.h"
