#!/usr/bin/env bash
# run.sh - build and run pdfpipe on one machine.
#
#   ./run.sh [--workers N]   start ventilator, sink and N workers (default: one
#                            per core) in the foreground; Ctrl-C stops them all
#   ./run.sh demo            install what is missing, build, start the
#                            pipeline, render the example job, print its path
#   ./run.sh test            install what is missing, build, run every test
#   ./run.sh build           install what is missing and build
#
# Environment: PDFPIPE_HTTP_PORT (8080), PDFPIPE_DATA_DIR (./pdfpipe-data),
# BUILD_DIR (./build), SANITIZE=1 for an ASan+UBSan build.
# SPDX-License-Identifier: MPL-2.0
set -euo pipefail

TOP=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
DATA_DIR=${PDFPIPE_DATA_DIR:-$TOP/pdfpipe-data}
HTTP_PORT=${PDFPIPE_HTTP_PORT:-8080}
WORKERS=$(nproc 2>/dev/null || echo 2)

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

build() {
    "$TOP/scripts/install-deps.sh" "$@"
    local sanitize=OFF
    [ "${SANITIZE:-0}" = "1" ] && sanitize=ON
    cmake -S "$TOP" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSANITIZE=$sanitize >/dev/null
    cmake --build "$BUILD_DIR" -j "$(nproc)" >/dev/null
}

PIDS=()
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# Start the three kinds of process in the background of this shell. With a
# log directory as argument, each process logs to a file there instead of
# the terminal.
start_pipeline() {
    local logs=${1:-}
    mkdir -p "$DATA_DIR"
    if [ -n "$logs" ]; then
        mkdir -p "$logs"
        exec 3>"$logs/sink.log" 4>"$logs/ventilator.log" 5>"$logs/workers.log"
    else
        exec 3>&2 4>&2 5>&2
    fi
    "$BUILD_DIR/sink/pdfpipe-sink" --spool "$DATA_DIR/spool" \
        --store "file://$DATA_DIR/out" 2>&3 &
    PIDS+=($!)
    "$BUILD_DIR/ventilator/pdfpipe-ventilator" --http-port "$HTTP_PORT" \
        --data-dir "$DATA_DIR/ventilator" 2>&4 &
    PIDS+=($!)
    local n
    for ((n = 1; n <= WORKERS; n++)); do
        "$BUILD_DIR/worker/pdfpipe-worker" --name "worker-$n" 2>&5 &
        PIDS+=($!)
    done
    exec 3>&- 4>&- 5>&-
}

wait_for_api() {
    local tries
    for ((tries = 0; tries < 100; tries++)); do
        if curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "run.sh: the API did not come up on port $HTTP_PORT" >&2
    return 1
}

cmd_start() {
    build --runtime
    trap 'stop_all; exit 0' INT TERM
    trap 'stop_all' EXIT
    start_pipeline
    wait_for_api
    echo "pdfpipe: API at http://127.0.0.1:$HTTP_PORT/ ($WORKERS workers," \
         "results in $DATA_DIR/out). Ctrl-C stops everything."
    # Any process ending on its own is a failure: stop the rest.
    wait -n "${PIDS[@]}" || true
    echo "run.sh: a pdfpipe process exited; stopping the others" >&2
    exit 1
}

cmd_demo() {
    build --runtime
    trap 'stop_all' EXIT INT TERM
    start_pipeline "$DATA_DIR/logs"
    wait_for_api
    echo "pdfpipe: pipeline up ($WORKERS workers, logs in $DATA_DIR/logs);" \
         "submitting examples/hello/job.json"
    local out="$DATA_DIR/demo.pdf"
    PDFPIPE_URL="http://127.0.0.1:$HTTP_PORT" "$BUILD_DIR/cli/pdfpipe" submit \
        "$TOP/examples/hello/job.json" --wait -o "$out"
    echo "pdfpipe: finished PDF at $out"
}

cmd_test() {
    build
    cd "$BUILD_DIR"
    ctest --output-on-failure -j 2 "$@"
}

main() {
    local command=start
    while [ $# -gt 0 ]; do
        case "$1" in
            demo|test|build|start) command=$1 ;;
            --workers) WORKERS=${2:?--workers needs a number}; shift ;;
            --workers=*) WORKERS=${1#--workers=} ;;
            -h|--help) usage; exit 0 ;;
            *) if [ "$command" = "test" ]; then break; fi
               echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
        esac
        shift
    done
    case "$command" in
        start) cmd_start ;;
        demo) cmd_demo ;;
        test) cmd_test "$@" ;;
        build) build ;;
    esac
}

main "$@"
