#!/bin/sh
# The uiommu command line, end to end: the main job (demo siov) and the
# other commands answer as documented, in text and JSON, and bad input
# gets a message and a non-zero status.
set -eu
U=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$U" demo --json --seconds 0.3) || fail "demo --json exited $?"
echo "$out" | grep -q '"scenario":"siov"' || fail "demo is not the siov scenario"
echo "$out" | grep -q '"ok":true' || fail "demo siov: a check failed: $out"
echo "$out" | grep -q '"pasid_table"' || fail "demo siov: no PASID table"
echo "$out" | grep -q '"alice_wrong":0,' || fail "demo siov: wrong results"
echo "$out" | grep -q 'untouched' || fail "demo siov: the victim's data changed"

txt=$("$U" demo --seconds 0.3) || fail "demo (text) exited $?"
echo "$txt" | grep -q 'tenant *PASID' || fail "demo: no summary table"
echo "$txt" | grep -q 'PASID 1 ' || fail "demo: no PASID table entries"

"$U" demo pci --json | grep -q '"ok":true' || fail "demo pci"
out=$("$U" demo iommufd --json) || fail "demo iommufd --json exited $?"
echo "$out" | grep -q '"ok":true' || fail "demo iommufd: a check failed: $out"
echo "$out" | grep -q 'refused (EPERM)' || fail "demo iommufd: the portal was not gated"
echo "$out" | grep -q '"pasid_table"' || fail "demo iommufd: no PASID table"
"$U" demo iommufd | grep -q 'parent RID + PASID' || fail "demo iommufd: no routing table"
out=$("$U" --checker demo nested --json) || fail "demo nested --json exited $?"
echo "$out" | grep -q '"ok":true' || fail "demo nested: a check failed: $out"
echo "$out" | grep -q '"faults_served":4,' || fail "demo nested: faults not served"
echo "$out" | grep -q '"pgtt":"nested"' || fail "demo nested: no nested PASID entry"
echo "$out" | grep -q '"first_stage":{"root_gpa"' || fail "demo nested: first stage not decoded"
txt=$("$U" demo nested) || fail "demo nested (text) exited $?"
echo "$txt" | grep -q 'first stage (guest' || fail "demo nested: no first stage in the dump"
"$U" topology --json | grep -q '"driver":"idxd"' || fail "topology: idxd not bound to dsa0"
"$U" topology | grep -q 'dsa0:dsa-1dwq-v1' || fail "topology: no mdev types"
"$U" dump --device dsa0 >/dev/null || fail "dump"
out=$("$U" --json soak --seconds 2 --tenants 6 --seed 5) || fail "soak exited $?: $out"
echo "$out" | grep -q '"violations":0,' || fail "soak: violations: $out"
echo "$out" | grep -q '"seed":5,' || fail "soak: no seed: $out"
echo "$out" | grep -q '"dmas_checked":[1-9]' || fail "soak: no DMA checked: $out"
"$U" soak --seconds 0.5 --tenants 3 | grep -q 'violations *0' || fail "soak (text)"
"$U" soak --seconds 0.5 --tenants 2 --kinds idxd | grep -q '0 pdevs, 2 idxd mdevs' ||
	fail "soak --kinds idxd"
"$U" soak --help | grep -q -- '--tenants K' || fail "soak --help"

set +e
"$U" soak --tenants 0 2>/dev/null; [ $? -eq 2 ] || fail "soak --tenants 0 should exit 2"
"$U" soak --kinds pdev,gpu 2>/dev/null; [ $? -eq 2 ] || fail "soak --kinds pdev,gpu should exit 2"
"$U" soak --seconds x 2>/dev/null; [ $? -eq 2 ] || fail "soak --seconds x should exit 2"
"$U" demo bogus 2>/dev/null; [ $? -eq 2 ] || fail "demo bogus should exit 2"
"$U" demo --seconds -1 2>/dev/null; [ $? -eq 2 ] || fail "demo --seconds -1 should exit 2"
msg=$("$U" --topology /nonexistent/x.json topology 2>&1); rc=$?
[ $rc -ne 0 ] || fail "missing topology file accepted"
echo "$msg" | grep -q nonexistent || fail "missing topology file: message does not name it"
echo "PASS"
