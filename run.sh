#!/usr/bin/env bash
# run.sh - build and run pdfpipe on one machine.
#
#   ./run.sh [--workers N]   start ventilator and sink in the foreground; the
#                            ventilator runs one worker while idle and up to
#                            one per core while there is work (its local
#                            scaler); --workers N: a fixed pool of N instead;
#                            Ctrl-C stops all
#   ./run.sh demo            install what is missing, build, start the
#                            pipeline, render the example job, print its path
#   ./run.sh test            install what is missing, build, run every test,
#                            then the unit, pipeline and recovery tests again
#                            in an ASan+UBSan build (build-asan/), and end
#                            with a summary: passed, failed, skipped and why
#   ./run.sh test ARGS...    only the ctest run ARGS select, in ./build
#   ./run.sh build           install what is missing and build
#   --s3                     with start or demo: keep results in S3, in a
#                            bucket of a local S3 server started first
#                            (moto_server where installed, else s3rver,
#                            which ./run.sh build installs)
#
# Environment: PDFPIPE_HTTP_PORT (8080), PDFPIPE_DATA_DIR (./pdfpipe-data),
# BUILD_DIR (./build), ASAN_BUILD_DIR (./build-asan), SANITIZE=1 for an
# ASan+UBSan build, PDFPIPE_S3_PORT (9000) and PDFPIPE_S3_SERVER (moto or
# s3rver) for --s3, CI=true: a skipped core test path fails the run (see
# scripts/test_summary.py).
#
# The processes talk over CURVE: on first start run.sh makes a key pair
# each for the ventilator, the sink and the workers under
# $PDFPIPE_DATA_DIR/keys, and puts their public certificates in
# keys/allowed, the directory the ventilator and the sink accept clients
# from (docs/operations.md, "Keys and who may connect").
#
# The HTTP API takes tokens: on first start run.sh makes one called
# "local", keeps it in $PDFPIPE_DATA_DIR/api/token (readable by its owner
# only) and its hash in api/tokens, the ventilator's tokens file, and
# exports it as PDFPIPE_TOKEN for the CLI it runs (docs/operations.md,
# "API tokens").
# SPDX-License-Identifier: MPL-2.0
set -euo pipefail

TOP=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$TOP/build-asan}
DATA_DIR=${PDFPIPE_DATA_DIR:-$TOP/pdfpipe-data}
HTTP_PORT=${PDFPIPE_HTTP_PORT:-8080}
# The local scaler's bounds: 1 to one per core, or N to N (--workers N).
WORKERS_MIN=1
WORKERS=$(nproc 2>/dev/null || echo 2)
S3=0
S3_PORT=${PDFPIPE_S3_PORT:-9000}
S3_BUCKET=pdfpipe-local
STORE="file://$DATA_DIR/out"
KEYS_DIR=$DATA_DIR/keys

usage() {
    sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
}

# compile DIR [CMAKE OPTIONS...]: configure and build the project in DIR.
#
# CMake 3.25's first configure of a directory puts libzmq's pkg-config flag
# "-isystem /usr/include/mit-krb5" among the include directories, and every
# later configure among the compile flags: the next configure (the next
# run.sh, or a test that starts one) would rebuild everything, relinking
# the programs under the tests that run them. So a new directory is
# configured twice before it is built.
compile() {
    local dir=$1
    shift
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        cmake -S "$TOP" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    fi
    cmake -S "$TOP" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)" >/dev/null
}

build() {
    "$TOP/scripts/install-deps.sh" "$@"
    local sanitize=OFF
    [ "${SANITIZE:-0}" = "1" ] && sanitize=ON
    compile "$BUILD_DIR" -DSANITIZE=$sanitize
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

# The API token, made once like the keys: the token in api/token, its
# line (name and hash) in api/tokens. A token file removed by hand (the
# operator keeps tokens elsewhere) is not made again while api/tokens is
# there.
make_token() {
    TOKENS_FILE=$DATA_DIR/api/tokens
    TOKEN_FILE=$DATA_DIR/api/token
    if [ ! -e "$TOKENS_FILE" ]; then
        mkdir -p "$DATA_DIR/api"
        local made
        made=$("$BUILD_DIR/cli/pdfpipe" token local)
        (umask 077 && printf '%s\n' "${made%%$'\n'*}" >"$TOKEN_FILE")
        printf '%s\n' "${made#*$'\n'}" >"$TOKENS_FILE"
    fi
    if [ -r "$TOKEN_FILE" ]; then
        PDFPIPE_TOKEN=$(cat "$TOKEN_FILE")
        export PDFPIPE_TOKEN
    fi
}

# What the local scaler runs, in words.
workers_text() {
    if [ "$WORKERS_MIN" = "$WORKERS" ]; then
        echo "$WORKERS workers"
    else
        echo "$WORKERS_MIN to $WORKERS workers as the work calls for"
    fi
}

# Start the three kinds of process in the background of this shell. With a
# log directory as argument, each process logs to a file there instead of
# the terminal.
start_pipeline() {
    local logs=${1:-}
    mkdir -p "$DATA_DIR"
    make_keys
    make_token
    if [ -n "$logs" ]; then
        mkdir -p "$logs"
        exec 3>"$logs/sink.log" 4>"$logs/ventilator.log"
    else
        exec 3>&2 4>&2
    fi
    "$BUILD_DIR/sink/pdfpipe-sink" --spool "$DATA_DIR/spool" \
        --store "$STORE" --cert "$KEYS_DIR/sink.secret" \
        --ventilator-key "$KEYS_DIR/ventilator.cert" \
        --allowed-dir "$KEYS_DIR/allowed" 2>&3 &
    PIDS+=($!)
    # The ventilator starts and stops the workers (its local scaler): one
    # stays up, and up to $WORKERS run while there is work. They log where
    # the workers' log goes (the redirection may sit anywhere in the
    # command; the scaler adds --name).
    local worker_log=/dev/stderr
    [ -n "$logs" ] && worker_log="$logs/workers.log"
    local worker_command
    printf -v worker_command '%q ' "$BUILD_DIR/worker/pdfpipe-worker" \
        --cert "$KEYS_DIR/worker.secret" \
        --ventilator-key "$KEYS_DIR/ventilator.cert" \
        --sink-key "$KEYS_DIR/sink.cert"
    worker_command+="2>>$(printf '%q' "$worker_log")"
    "$BUILD_DIR/ventilator/pdfpipe-ventilator" --http-port "$HTTP_PORT" \
        --data-dir "$DATA_DIR/ventilator" --store "$STORE" \
        --cert "$KEYS_DIR/ventilator.secret" \
        --sink-key "$KEYS_DIR/sink.cert" \
        --allowed-dir "$KEYS_DIR/allowed" --tokens "$TOKENS_FILE" \
        --scaler local --scaler-command "$worker_command" \
        --workers-min "$WORKERS_MIN" --workers-max "$WORKERS" 2>&4 &
    PIDS+=($!)
    exec 3>&- 4>&-
}

# With --s3: a local S3 server on loopback with one bucket, which the sink
# uploads to and the ventilator signs download links for (both are given
# the same --store): moto_server
# where it is installed, else s3rver (from npm, into tools/s3rver, by
# scripts/install-deps.sh); PDFPIPE_S3_SERVER=moto or =s3rver picks one.
# Neither checks these signatures (s3rver knows only the key S3RVER), so
# the credentials are placeholders; they are exported for the processes
# started after it.
start_s3() {
    local server=${PDFPIPE_S3_SERVER:-} s3rver="$TOP/tools/s3rver/node_modules/.bin/s3rver"
    if [ -z "$server" ]; then
        server=s3rver
        command -v moto_server >/dev/null && server=moto
    fi
    mkdir -p "$DATA_DIR"
    local endpoint="http://127.0.0.1:$S3_PORT" tries log="$DATA_DIR/$server.log"
    case "$server" in
        moto)
            if ! command -v moto_server >/dev/null; then
                echo "run.sh: PDFPIPE_S3_SERVER=moto, but moto_server is not" \
                     "installed (pip install 'moto[server]')" >&2
                exit 1
            fi
            moto_server -H 127.0.0.1 -p "$S3_PORT" >"$log" 2>&1 &
            export AWS_ACCESS_KEY_ID=pdfpipe-local
            export AWS_SECRET_ACCESS_KEY=pdfpipe-local-secret
            ;;
        s3rver)
            if [ ! -x "$s3rver" ] || ! command -v node >/dev/null; then
                echo "run.sh: --s3 needs moto_server or s3rver, and neither" \
                     "is installed; ./run.sh build installs s3rver" >&2
                exit 1
            fi
            mkdir -p "$DATA_DIR/s3rver"
            "$s3rver" --directory "$DATA_DIR/s3rver" --address 127.0.0.1 \
                --port "$S3_PORT" --no-vhost-buckets >"$log" 2>&1 &
            export AWS_ACCESS_KEY_ID=S3RVER
            export AWS_SECRET_ACCESS_KEY=S3RVER
            ;;
        *)
            echo "run.sh: PDFPIPE_S3_SERVER=$server: expected moto or s3rver" >&2
            exit 2
            ;;
    esac
    PIDS+=($!)
    for ((tries = 0; tries < 100; tries++)); do
        if curl -fsS -o /dev/null "$endpoint/" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if ! curl -fsS -o /dev/null -X PUT "$endpoint/$S3_BUCKET"; then
        echo "run.sh: $server did not come up on port $S3_PORT (see $log)" >&2
        exit 1
    fi
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
    echo "pdfpipe: API at http://127.0.0.1:$HTTP_PORT/ ($(workers_text)," \
         "results in $results). Ctrl-C stops everything."
    echo "pdfpipe: web console at http://127.0.0.1:$HTTP_PORT/ (it asks for" \
         "the API token below)"
    echo "pdfpipe: metrics (Prometheus) at http://127.0.0.1:$HTTP_PORT/metrics"
    echo "pdfpipe: requests need the API token: export" \
         "PDFPIPE_TOKEN=\$(cat $TOKEN_FILE) for the CLI, or send" \
         "\"Authorization: Bearer \$PDFPIPE_TOKEN\" (tokens: $TOKENS_FILE)"
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
    echo "pdfpipe: pipeline up ($(workers_text), logs in $DATA_DIR/logs);" \
         "submitting examples/invoice/template.json with $invoices records"
    PDFPIPE_URL="http://127.0.0.1:$HTTP_PORT" "$BUILD_DIR/cli/pdfpipe" submit \
        "$TOP/examples/invoice/template.json" --records "$records" \
        --wait -o "$out"
    echo "pdfpipe: finished PDF at $out"
}

# What the ASan+UBSan build runs: every unit test, and the end-to-end tests
# whose processes live longest (recovery restarts, kills and refills
# them). ctest ANDs -L with -R, so the selection is one name pattern.
ASAN_TESTS='^(test_[a-z0-9_]+|e2e_test_pipeline|e2e_test_recovery(_[a-z_]+)?)$'

# ctest_in DIR JUNIT [ARGS...]: run ctest in DIR, its results also to
# JUNIT; returns ctest's status.
ctest_in() {
    local dir=$1 junit=$2
    shift 2
    rm -f "$junit"
    (cd "$dir" && ctest --output-on-failure -j 2 --output-junit "$junit" "$@")
}

# ./run.sh test: with ctest arguments, only that ctest run in BUILD_DIR;
# without, the whole suite in BUILD_DIR and ASAN_TESTS in an ASan+UBSan
# build in ASAN_BUILD_DIR. Either way it ends with scripts/test_summary.py's
# lines: each skipped entry with its reasons, then the counts. Under
# CI=true a skipped core path fails the run (see that script).
cmd_test() {
    local unavailable="$BUILD_DIR/unavailable-tools.txt" status=0 start
    local timings="" summary_args=()
    start=$SECONDS
    build --record-unavailable "$unavailable"
    timings+="build $((SECONDS - start)) s, "

    start=$SECONDS
    ctest_in "$BUILD_DIR" "$BUILD_DIR/ctest-junit.xml" "$@" || status=1
    timings+="tests $((SECONDS - start)) s, "
    summary_args+=("build=$BUILD_DIR/ctest-junit.xml")

    if [ $# -eq 0 ]; then
        summary_args=(--complete "${summary_args[@]}")
        start=$SECONDS
        # The fuzz targets are built with ASan and UBSan already.
        compile "$ASAN_BUILD_DIR" -DSANITIZE=ON -DPDFPIPE_FUZZ=OFF
        timings+="asan build $((SECONDS - start)) s, "
        start=$SECONDS
        ctest_in "$ASAN_BUILD_DIR" "$ASAN_BUILD_DIR/ctest-junit.xml" \
            -R "$ASAN_TESTS" || status=1
        timings+="asan tests $((SECONDS - start)) s, "
        summary_args+=("asan=$ASAN_BUILD_DIR/ctest-junit.xml")
    fi

    echo
    echo "== pdfpipe test summary (${timings%, }) =="
    [ "${CI:-}" = "true" ] && summary_args=(--ci "${summary_args[@]}")
    python3 "$TOP/scripts/test_summary.py" --unavailable "$unavailable" \
        "${summary_args[@]}" || status=1
    return $status
}

main() {
    local command=start
    while [ $# -gt 0 ]; do
        case "$1" in
            demo|test|build|start) command=$1 ;;
            --workers) WORKERS=${2:?--workers needs a number}; WORKERS_MIN=$WORKERS; shift ;;
            --workers=*) WORKERS=${1#--workers=}; WORKERS_MIN=$WORKERS ;;
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
