#!/bin/sh
# Install the Debian packages uiommu needs to build, test and run.
# As root: installs what is missing. Otherwise: prints the apt-get line.
set -eu

PKGS="gcc make meson ninja-build pkg-config libc6-dev linux-libc-dev libcmocka-dev libjson-c-dev libbsd-dev"
# make conformance: building the kernel's selftests, fetching its source.
PKGS="$PKGS libcap-dev uuid-dev unifdef xz-utils"
# make fuzz: clang 14 with its libFuzzer and sanitizer runtimes.
PKGS="$PKGS clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "uiommu needs:$missing" >&2
	echo "run as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
