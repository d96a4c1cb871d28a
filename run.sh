#!/usr/bin/env bash
# run.sh - build and run pdfpipe on one machine.
#
#   ./run.sh [--workers N]   start ventilator, sink and N workers (default: one
#                            per core) in the foreground; Ctrl-C stops them all
#   ./run.sh demo            install what is missing, build, start the
#                            pipeline, render the example job, print its path
#   ./run.sh test            install what is missing, build, run every test
#   ./run.sh build           install what is missing and build
#   --s3                     with start or demo: keep results in S3, in a
#                            local moto_server bucket started first (needs
#                            moto_server, e.g. pip install 'moto[server]')
#
# Environment: PDFPIPE_HTTP_PORT (8080), PDFPIPE_DATA_DIR (./pdfpipe-data),
# BUILD_DIR (./build), SANITIZE=1 for an ASan+UBSan build, PDFPIPE_S3_PORT
# (9000) for --s3.
#
# The processes talk over CURVE: on first start run.sh makes a key pair
# each for the ventilator, the sink and the workers under
# $PDFPIPE_DATA_DIR/keys, and puts their public certificates in
# keys/allowed, the directory the ventilator and the sink accept clients
# from (docs/operations.md, "Keys and who may connect").
# SPDX-License-Identifier: MPL-2.0
set -euo pipefail

TOP=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
DATA_DIR=${PDFPIPE_DATA_DIR:-$TOP/pdfpipe-data}
HTTP_PORT=${PDFPIPE_HTTP_PORT:-8080}
WORKERS=$(nproc 2>/dev/null || echo 2)
S3=0
S3_PORT=${PDFPIPE_S3_PORT:-9000}
S3_BUCKET=pdfpipe-local
STORE="file://$DATA_DIR/out"
KEYS_DIR=$DATA_DIR/keys

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
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
# SIGTERM to every process started, then SIGKILL to any still there after
# STOP_GRACE_S seconds (a sink finishing a large merge may need them), so
# that run.sh never leaves a process behind.
STOP_GRACE_S=${STOP_GRACE_S:-30}
stop_all() {
    local pid tries alive
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for ((tries = 0; tries < STOP_GRACE_S * 10; tries++)); do
        alive=0
        for pid in "${PIDS[@]}"; do
            if kill -0 "$pid" 2>/dev/null; then
                alive=1
            fi
        done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# The key pairs, made once: a key that exists is kept, and one whose
# certificate was taken out of keys/allowed (revoked) is not put back.
make_keys() {
    local name
    mkdir -p "$KEYS_DIR/allowed"
    for name in ventilator sink worker; do
        if [ ! -e "$KEYS_DIR/$name.secret" ]; then
            "$BUILD_DIR/cli/pdfpipe" keygen "$name" "$KEYS_DIR" >/dev/null
            cp "$KEYS_DIR/$name.cert" "$KEYS_DIR/allowed/"
        fi
    done
}

# Start the three kinds of process in the background of this shell. With a
# log directory as argument, each process logs to a file there instead of
# the terminal.
start_pipeline() {
    local logs=${1:-}
    mkdir -p "$DATA_DIR"
    make_keys
    if [ -n "$logs" ]; then
        mkdir -p "$logs"
        exec 3>"$logs/sink.log" 4>"$logs/ventilator.log" 5>"$logs/workers.log"
    else
        exec 3>&2 4>&2 5>&2
    fi
    "$BUILD_DIR/sink/pdfpipe-sink" --spool "$DATA_DIR/spool" \
        --store "$STORE" --cert "$KEYS_DIR/sink.secret" \
        --ventilator-key "$KEYS_DIR/ventilator.cert" \
        --allowed-dir "$KEYS_DIR/allowed" 2>&3 &
    PIDS+=($!)
    "$BUILD_DIR/ventilator/pdfpipe-ventilator" --http-port "$HTTP_PORT" \
        --data-dir "$DATA_DIR/ventilator" --store "$STORE" \
        --cert "$KEYS_DIR/ventilator.secret" \
        --sink-key "$KEYS_DIR/sink.cert" \
        --allowed-dir "$KEYS_DIR/allowed" 2>&4 &
    PIDS+=($!)
    local n
    for ((n = 1; n <= WORKERS; n++)); do
        "$BUILD_DIR/worker/pdfpipe-worker" --name "worker-$n" \
            --cert "$KEYS_DIR/worker.secret" \
            --ventilator-key "$KEYS_DIR/ventilator.cert" \
            --sink-key "$KEYS_DIR/sink.cert" 2>&5 &
        PIDS+=($!)
    done
    exec 3>&- 4>&- 5>&-
}

# With --s3: a moto_server on loopback with one bucket, which the sink
# uploads to and the ventilator signs download links for (both are given
# the same --store). This moto checks no signatures, so the credentials
# are placeholders; they are exported for the processes started after it.
start_s3() {
    if ! command -v moto_server >/dev/null; then
        echo "run.sh: --s3 needs moto_server, which Debian does not package;" \
             "install it with pip install 'moto[server]'" >&2
        exit 1
    fi
    mkdir -p "$DATA_DIR"
    local endpoint="http://127.0.0.1:$S3_PORT" tries
    moto_server -H 127.0.0.1 -p "$S3_PORT" >"$DATA_DIR/moto.log" 2>&1 &
    PIDS+=($!)
    for ((tries = 0; tries < 100; tries++)); do
        if curl -fsS -o /dev/null "$endpoint/" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if ! curl -fsS -o /dev/null -X PUT "$endpoint/$S3_BUCKET"; then
        echo "run.sh: moto_server did not come up on port $S3_PORT" \
             "(see $DATA_DIR/moto.log)" >&2
        exit 1
    fi
    export AWS_ACCESS_KEY_ID=pdfpipe-local
    export AWS_SECRET_ACCESS_KEY=pdfpipe-local-secret
    export AWS_REGION=us-east-1
    export PDFPIPE_S3_ENDPOINT=$endpoint
    STORE="s3://$S3_BUCKET/results"
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
    if [ "$S3" = 1 ]; then
        start_s3
    fi
    start_pipeline
    wait_for_api
    local results="$DATA_DIR/out"
    if [ "$S3" = 1 ]; then
        results="$STORE at $PDFPIPE_S3_ENDPOINT"
    fi
    echo "pdfpipe: API at http://127.0.0.1:$HTTP_PORT/ ($WORKERS workers," \
         "results in $results). Ctrl-C stops everything."
    # Any process ending on its own is a failure: stop the rest.
    wait -n "${PIDS[@]}" || true
    echo "run.sh: a pdfpipe process exited; stopping the others" >&2
    exit 1
}

cmd_demo() {
    build --runtime
    # The records generator needs python3, which only the full install
    # brings.
    command -v python3 >/dev/null || build
    local invoices=1000
    local records="$DATA_DIR/invoice-records.jsonl"
    local out="$DATA_DIR/invoice.pdf"
    trap 'stop_all' EXIT INT TERM
    if [ "$S3" = 1 ]; then
        start_s3
    fi
    start_pipeline "$DATA_DIR/logs"
    wait_for_api
    python3 "$TOP/examples/invoice/gen_records.py" "$invoices" "$records"
    echo "pdfpipe: pipeline up ($WORKERS workers, logs in $DATA_DIR/logs);" \
         "submitting examples/invoice/template.json with $invoices records"
    PDFPIPE_URL="http://127.0.0.1:$HTTP_PORT" "$BUILD_DIR/cli/pdfpipe" submit \
        "$TOP/examples/invoice/template.json" --records "$records" \
        --wait -o "$out"
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
            --s3) S3=1 ;;
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
