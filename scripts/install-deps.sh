#!/usr/bin/env bash
# install-deps.sh - install every Debian package pdfpipe needs to build, run and test.
#
# Idempotent: asks dpkg first and only calls apt-get when something is missing, so a
# second run on a ready machine takes well under a second. Needs root (or sudo) only
# when it actually has to install.
# SPDX-License-Identifier: MPL-2.0
set -euo pipefail

# Build and run time.
BUILD_PKGS=(
    build-essential cmake pkg-config git
    libzmq3-dev libczmq-dev
    libhpdf-dev libpng-dev zlib1g-dev
    libqpdf-dev qpdf
    libcurl4-openssl-dev libssl-dev
    libmicrohttpd-dev
    libsqlite3-dev
    libcjson-dev
    libzint-dev
    libfontconfig-dev fontconfig fonts-nanum
    curl ca-certificates
)
# Tests only.
TEST_PKGS=(
    libcmocka-dev
    poppler-utils
    zbar-tools
    python3
    iproute2
)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" != "--runtime" ]; then
    want+=("${TEST_PKGS[@]}")
fi

missing=()
for pkg in "${want[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# An apt list older than a day may name package versions the mirror no longer has.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
