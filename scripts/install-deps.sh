#!/usr/bin/env bash
# install-deps.sh - install every package pdfpipe needs to build, run and test.
#
#   install-deps.sh [--runtime] [--record-unavailable FILE]
#
# Debian packages through apt-get; for the tests also s3rver, an S3-protocol
# server, from npm into tools/s3rver/node_modules (pinned by the lock file
# there), which the S3 end-to-end tests use where moto_server is not
# installed. --runtime: only what building and running need.
# --record-unavailable FILE: write there one line "<tool><TAB><why>" per test
# tool this machine cannot have, having tried its ordinary install channel;
# run.sh's test summary reads it to tell a skip the machine cannot avoid
# from one it can (see scripts/test_summary.py).
#
# Idempotent: asks dpkg (and npm's own record in node_modules) first and only
# installs when something is missing, so a second run on a ready machine
# takes well under a second. Needs root (or sudo) only when it actually has
# to install Debian packages.
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
    poppler-utils         # pdftoppm: POST /v1/preview?format=png; pdftotext in tests
)
# Tests only.
TEST_PKGS=(
    libcmocka-dev
    zbar-tools
    python3
    python3-zmq           # rogue and scripted peers in tests/e2e/test_recovery.py
    python3-boto3         # the S3 client of tests run under the system python3 (for python3-zmq)
    iproute2
    clang                 # fuzz/: libFuzzer targets
    libclang-rt-14-dev    # libFuzzer and the sanitizers' runtime for clang
    libqrencode-dev       # bench/: builds invoice_c, the one-process yardstick
    linux-perf            # bench/RESULTS: perf record of each process while a job runs
    python3-prometheus-client  # tests/e2e/test_metrics.py: the text-format parser
    prometheus            # its promtool checks GET /metrics (the server is not started)
    systemd               # tests/e2e/test_deploy.py: systemd-analyze verify
    python3-yaml          # tests/e2e/test_deploy.py: parses deploy/kubernetes
    chromium              # tests/e2e/test_console.py: the console in a real browser
    nodejs                # and playwright-core (tests/browser), which drives it (npm: below)
)

TOP=$(cd "$(dirname "$0")/.." && pwd)
runtime_only=0
record=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runtime) runtime_only=1 ;;
        --record-unavailable) record=${2:?--record-unavailable needs a file}; shift ;;
        *) echo "install-deps: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
if [ -n "$record" ]; then
    mkdir -p "$(dirname "$record")"
    : >"$record"
fi
# unavailable TOOL WHY: say that this machine cannot have TOOL, and record it.
unavailable() {
    echo "install-deps: $1 is not available: $2" >&2
    if [ -n "$record" ]; then
        printf '%s\t%s\n' "$1" "$2" >>"$record"
    fi
}

want=("${BUILD_PKGS[@]}")
if [ "$runtime_only" = 0 ]; then
    want+=("${TEST_PKGS[@]}")
fi

# installed PKG: whether dpkg has PKG installed.
installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing=()
for pkg in "${want[@]}"; do
    if ! installed "$pkg"; then
        missing+=("$pkg")
    fi
done

# The names, of those given, of the modules that the python3 on PATH cannot
# import (found without importing them, which is slow for boto3).
python_lacks() {
    python3 - "$@" 2>/dev/null <<'PY' || echo "$@"
import importlib.util, sys
print(" ".join(name for name in sys.argv[1:] if not importlib.util.find_spec(name)))
PY
}

SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# An apt list older than a day may name package versions the mirror no
# longer has.
refresh_apt_lists() {
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
        $SUDO apt-get update -qq
    fi
}

apt_install() {
    refresh_apt_lists
    $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    # One package that cannot be installed here (it conflicts with one the
    # machine has, say) must not keep the others out: then one at a time,
    # and what fails is reported (a missing build package stops the build
    # later, with the compiler's words).
    if ! apt_install "${missing[@]}"; then
        for pkg in "${missing[@]}"; do
            installed "$pkg" || apt_install "$pkg" ||
                unavailable "$pkg" "apt-get install $pkg failed"
        done
    fi
fi

# kubectl checks deploy/kubernetes (tests/e2e/test_deploy.py): Debian's
# kubernetes-client, unless the machine has a kubectl already (another
# package's, which Debian's would conflict with).
if [ "$runtime_only" = 0 ] && ! command -v kubectl >/dev/null; then
    echo "install-deps: installing kubernetes-client (kubectl) for the deployment tests" >&2
    apt_install kubernetes-client ||
        unavailable kubectl "apt-get install kubernetes-client failed"
fi

if [ "$runtime_only" = 1 ]; then
    exit 0
fi

lacking=" $(python_lacks boto3 moto) "

# boto3 is the tests' independent S3 client, with either server.
if [[ $lacking == *" boto3 "* ]]; then
    echo "install-deps: installing python3-boto3 for the S3 tests" >&2
    apt_install python3-boto3 ||
        unavailable boto3 "apt-get install python3-boto3 failed"
fi

# moto_server checks SigV4 signatures and has the whole multipart API, so
# the S3 tests prefer it; Debian 12 does not package it, npm has no such
# package and pip's registry is not one this project installs from. A
# release that packages python3-moto gets it here.
if [[ $lacking == *" moto "* ]] || ! command -v moto_server >/dev/null; then
    refresh_apt_lists
    if apt-cache show python3-moto >/dev/null 2>&1; then
        echo "install-deps: installing python3-moto for the S3 tests" >&2
        apt_install python3-moto || true
    fi
    if [ -n "$(python_lacks moto)" ] || ! command -v moto_server >/dev/null; then
        unavailable moto "no Debian package python3-moto brings moto_server,\
 and npm has no such package; moto comes only from PyPI\
 (pip install 'moto[server]')"
    fi
fi

# s3rver, from npm, where moto_server is not installed; installed either
# way, so that PDFPIPE_S3_SERVER=s3rver can try the fallback anywhere.
S3RVER_DIR=$TOP/tools/s3rver
if ! command -v npm >/dev/null; then
    echo "install-deps: installing nodejs and npm for s3rver and playwright-core" >&2
    apt_install nodejs npm || true
fi
if ! command -v npm >/dev/null; then
    unavailable s3rver "npm is not installed and apt-get install nodejs npm failed"
elif [ ! -x "$S3RVER_DIR/node_modules/.bin/s3rver" ] ||
     [ "$S3RVER_DIR/package-lock.json" -nt "$S3RVER_DIR/node_modules/.package-lock.json" ]; then
    echo "install-deps: installing s3rver with npm into tools/s3rver" >&2
    if ! npm_log=$(cd "$S3RVER_DIR" && npm ci --no-audit --no-fund 2>&1); then
        unavailable s3rver "npm ci in tools/s3rver failed: $(printf '%s\n' "$npm_log" | grep -m1 'ERR' || printf '%s\n' "$npm_log" | tail -1)"
    fi
fi
