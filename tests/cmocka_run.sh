#!/usr/bin/env bash
# cmocka_run.sh - run one cmocka test program as a ctest entry whose outcome
# says whether every test in it ran.
#
#   cmocka_run.sh PROGRAM [ARGS...]
#
# cmocka shows a test that called skip() as "[  SKIPPED ]" and still exits
# 0, which ctest would show as Passed. This passes the program's output
# through and, when the program exited 0 having skipped a test, exits 77
# (every unit entry's SKIP_RETURN_CODE, tests/CMakeLists.txt). A test says
# why in a line "SKIP: <reason>" (print_message) before it calls skip();
# run.sh's test summary lists those lines. A failure is never turned into
# a skip: any other exit status passes through unchanged.
# SPDX-License-Identifier: MPL-2.0
set -uo pipefail

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ] || ! grep -q '^\[  SKIPPED \] ' "$log"; then
    exit "$rc"
fi
if ! grep -q '^SKIP: ' "$log"; then
    # cmocka lists the skipped tests last, after a count line.
    grep '^\[  SKIPPED \] ' "$log" | grep -v ' test(s), listed below:' |
        sed 's/^\[  SKIPPED \] \(.*\)$/SKIP: \1: the test printed no reason/' |
        sort -u
fi
exit 77
