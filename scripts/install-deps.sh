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
    python3-zmq           # rogue and scripted peers in tests/e2e/test_recovery.py
    iproute2
    clang                 # fuzz/: libFuzzer targets
    libclang-rt-14-dev    # libFuzzer and the sanitizers' runtime for clang
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

# True when the python3 on PATH can import every module named (without
# importing them, which is slow for boto3).
python_has() {
    python3 - "$@" 2>/dev/null <<'PY'
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(name) for name in sys.argv[1:]) else 1)
PY
}

SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    # An apt list older than a day may name package versions the mirror no longer has.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
        $SUDO apt-get update -qq
    fi
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Best effort, for tests only: tests/e2e/test_s3.py needs moto (moto_server)
# and boto3, and skips, saying why, without them. Debian 12 packages boto3
# (python3-boto3) but not moto, and pip is not used here; a release that
# packages python3-moto gets it too.
if [ "${1:-}" != "--runtime" ] && ! python_has moto boto3; then
    optional=()
    for pkg in python3-boto3 python3-moto; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [ "$status" != "installed" ] && apt-cache show "$pkg" >/dev/null 2>&1; then
            optional+=("$pkg")
        fi
    done
    if [ ${#optional[@]} -gt 0 ]; then
        echo "install-deps: installing ${optional[*]} for the S3 tests" >&2
        $SUDO apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null ||
            echo "install-deps: could not install ${optional[*]}" >&2
    fi
    if ! python_has moto boto3; then
        echo "install-deps: moto is not available from this system's packages;" \
             "the S3 end-to-end tests will be skipped (pip install 'moto[server]' boto3" \
             "to run them)" >&2
    fi
fi
