#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# fetch-linux-source.sh DIR: the parts of Linux 7.2 that `make conformance`
# needs (uAPI headers, the iommufd and VFIO selftests and what they
# include), from Debian's linux-source-7.2 package, into DIR.
#
# The kernel is GPL-2.0: it is fetched at run time into a cache, built and
# run as a client of uiommu, and never committed. The package comes from
# the machine's own Debian mirror (suite sid), through a private apt state
# so the system's package lists are untouched. Prints DIR on success;
# does nothing if DIR is complete already.
set -euo pipefail

DIR=${1:?usage: fetch-linux-source.sh DIR}
PKG=${LINUX_DEB:-linux-source-7.2}
WANT=(Makefile scripts/headers_install.sh include/uapi drivers/iommu drivers/vfio
      drivers/dma/idxd drivers/dma/ioat include/linux/pci_ids.h include/linux/iommu.h include/linux/iommufd.h include/linux/vfio.h
      tools/testing/selftests/iommu tools/testing/selftests/vfio
      tools/testing/selftests/kselftest_harness.h tools/testing/selftests/kselftest.h
      tools/testing/selftests/lib.mk tools/include tools/arch/x86/include)

fail() { echo "fetch-linux-source: $*" >&2; exit 1; }

[ -f "$DIR/.complete" ] && { echo "$DIR"; exit 0; }
for tool in apt-get dpkg-deb tar xz; do
	command -v "$tool" >/dev/null || fail "needs $tool"
done

# The mirror this machine already uses (deb822 sources, then the old list).
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || fail "no Debian mirror configured"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/state/lists/partial" "$tmp/cache/archives/partial" "$tmp/pkg"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" \
	>"$tmp/sources.list"
opts=(-o APT::Sandbox::User=root -o "Dir::Etc::SourceList=$tmp/sources.list"
      -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$tmp/state/lists"
      -o "Dir::Cache=$tmp/cache" -o APT::Architecture=amd64)
apt-get "${opts[@]}" -q update >/dev/null 2>&1 || fail "apt-get update failed"
(cd "$tmp/pkg" && apt-get "${opts[@]}" -q download "$PKG" >/dev/null 2>&1) ||
	fail "cannot download $PKG"
deb=$(ls "$tmp"/pkg/*.deb)

# The package holds one source tarball; take only the parts listed.
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' \
	>"$tmp/src.tar.xz" || fail "no source tarball in $deb"
mkdir -p "$DIR"
members=()
for p in "${WANT[@]}"; do members+=("$PKG/$p"); done
tar -xJf "$tmp/src.tar.xz" -C "$DIR" --strip-components=1 "${members[@]}" ||
	fail "extraction failed"
basename "$deb" >"$DIR/.complete"
echo "$DIR"
