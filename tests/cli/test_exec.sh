#!/bin/sh
# uiommu exec, end to end with unmodified system tools (SPEC F-2): the
# program sees the host's /sys and /dev, options reach the shim, errors
# and exit statuses are as documented in docs/exec.md.
set -eu
U=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fail() { echo "FAIL: $*" >&2; exit 1; }
# System tools are not built with the sanitizers; their leaks are theirs.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$U" exec --help | grep -q -- '--mdev PARENT:TYPE' || fail "exec --help"
"$U" --help | grep -q 'exec' || fail "exec missing from uiommu --help"

v=$("$U" exec -- cat /sys/bus/pci/devices/0000:00:02.0/vendor) || fail "cat vendor"
[ "$v" = 0x1b36 ] || fail "vendor is '$v'"
l=$("$U" exec -- readlink /sys/bus/pci/devices/0000:00:02.0/iommu_group) || fail "readlink"
[ "$l" = ../../../kernel/iommu_groups/2 ] || fail "iommu_group -> '$l'"
"$U" exec -- ls /dev/vfio | grep -qx vfio || fail "ls /dev/vfio"
"$U" exec -- test -c /dev/vfio/vfio || fail "/dev/vfio/vfio is not a character device"
"$U" exec -- ls /sys/kernel/iommu_groups/4/devices | tr '\n' ' ' |
	grep -q '^0000:00:04.0 0000:00:04.1 $' || fail "group 4 devices"

# A topology file of one's own.
cat >"$tmp/topo.json" <<'JSON'
{ "units": [ { "name": "dmar0", "scope": "all" } ],
  "devices": [ { "bdf": "00:05.0", "type": "rc_endpoint", "name": "dma5", "model": "dmatest" } ] }
JSON
d=$(cd "$tmp" && "$U" exec --topology topo.json -- ls /sys/bus/pci/devices) || fail "--topology"
[ "$d" = 0000:00:05.0 ] || fail "--topology: devices '$d'"
d=$(cd "$tmp" && "$U" --topology topo.json exec -- ls /sys/bus/pci/devices) || fail "global --topology"
[ "$d" = 0000:00:05.0 ] || fail "global --topology: devices '$d'"

# mdevs made before the program starts, by UUID or a random one.
uuid=6f1c0d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f
m=$("$U" exec --mdev dsa0:dsa-1dwq-v1="$uuid" --mdev 0000:01:00.0:idxd-dsa-1dwq-v1 \
	-- ls /sys/bus/mdev/devices 2>"$tmp/err") || fail "--mdev"
echo "$m" | grep -qx "$uuid" || fail "--mdev: $uuid not in '$m'"
[ "$(echo "$m" | wc -l)" -eq 2 ] || fail "--mdev: two mdevs expected: '$m'"
grep -q 'uiommu exec: mdev 0000:01:00.0:idxd-dsa-1dwq-v1=' "$tmp/err" || fail "random UUID not shown"

set +e
"$U" exec >/dev/null 2>&1; [ $? -eq 2 ] || fail "exec without PROGRAM should exit 2"
"$U" exec --mdev nocolon -- true 2>/dev/null; [ $? -eq 2 ] || fail "bad --mdev should exit 2"
msg=$("$U" exec --mdev dsa0:nope -- true 2>&1); [ $? -eq 1 ] || fail "unknown mdev type accepted"
echo "$msg" | grep -q "no mdev type 'nope'" || fail "unknown mdev type: '$msg'"
msg=$("$U" exec --topology /nonexistent/t.json -- true 2>&1); [ $? -eq 1 ] || fail "bad topology"
echo "$msg" | grep -q nonexistent || fail "bad topology: message does not name it"
"$U" exec -- /nonexistent/prog 2>/dev/null; [ $? -eq 127 ] || fail "missing program: 127"
"$U" exec -- sh -c 'exit 7'; [ $? -eq 7 ] || fail "exit status not passed on"
"$U" exec -- cat /sys/bus/pci/devices/0000:00:02.0/nothing 2>/dev/null
[ $? -ne 0 ] || fail "a missing attribute was readable"
set -e

# The program's own LD_PRELOAD stays, after the shim.
p=$(ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" LD_PRELOAD=libc.so.6 \
	"$U" exec -- sh -c 'echo "$LD_PRELOAD"')
case "$p" in *libuiommu-shim.so*libc.so.6) ;; *) fail "LD_PRELOAD is '$p'" ;; esac
echo "PASS"
