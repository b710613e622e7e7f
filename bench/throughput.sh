#!/usr/bin/env bash
# Requests per second of POST /api/OC-TOMA/v1/permits/stats on `parkbench serve`, against a
# bare hyper 1.x hello-world measured in the same run on the same machine, with wrk over
# loopback (32 connections). Target: parkbench >= 80% of the baseline.
#
# Two more servers split the gap, both answering the same POST with the bytes parkbench answers:
# - the floor (examples/hello_hyper.rs given an answer file): bare hyper, what the request's
#   shape costs any hyper server;
# - the kit (examples/kit_constant.rs): parkbench's serving path, request id, journal, faults,
#   Date and all, around an API that does no work: what the kit costs.
# What is left between the kit and parkbench is the OPS-COM handler.
#
#   bench/throughput.sh            # 3 rounds of 10 s each, alternating the four servers
#   ROUNDS=5 DURATION=20s bench/throughput.sh
#   PIN=1 bench/throughput.sh      # servers on CPU 0, wrk on CPU 1: steadier figures on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
server_cpu=()
client_cpu=()
if [ -n "${PIN:-}" ]; then
    server_cpu=(taskset -c 0)
    client_cpu=(taskset -c 1)
    THREADS=1
fi

if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)" >&2
    apt-get update -qq >&2 && apt-get install -y -qq wrk >&2
fi
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet --bin parkbench --example hello_hyper --example kit_constant

work=$(mktemp -d)
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
pids=()
trap cleanup EXIT

# Waits until every file given has a first line (a server's URL).
wait_for() {
    for _ in $(seq 100); do
        local all=1
        for file; do [ -s "$file" ] || all=; done
        [ -n "$all" ] && return
        sleep 0.05
    done
}

"${server_cpu[@]}" ./target/release/parkbench serve --port-base 0 --only opscom >"$work/ready" 2>/dev/null &
pids+=($!)
"${server_cpu[@]}" ./target/release/examples/hello_hyper 127.0.0.1:0 >"$work/hello" &
pids+=($!)
wait_for "$work/ready" "$work/hello"
opscom=$(sed -E 's/.*"opscom":"([^"]+)".*/\1/' "$work/ready")
hello=$(head -n1 "$work/hello")
stats=/api/OC-TOMA/v1/permits/stats
stats_body='{"apiToken": "opscom-demo-full-access-token-0001", "zones": "Lot 01,Lot 02"}'

# Sanity: the endpoint answers what it should before it is measured; floor and kit answer the same.
curl -fsS -X POST "$opscom$stats" -H 'content-type: application/json' \
    -d "$stats_body" >"$work/answer"
"${server_cpu[@]}" ./target/release/examples/hello_hyper 127.0.0.1:0 "$work/answer" >"$work/floor" &
pids+=($!)
"${server_cpu[@]}" ./target/release/examples/kit_constant "$work/answer" 127.0.0.1:0 >"$work/kit" &
pids+=($!)
wait_for "$work/floor" "$work/kit"
floor=$(head -n1 "$work/floor")
kit=$(head -n1 "$work/kit")

cat >"$work/stats.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$stats_body'
LUA

# wrk with this run's placement, threads and connections; prints requests per second.
rps() { "${client_cpu[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" "$@" | awk '/Requests\/sec/ {print $2}'; }
rps -d2s "$hello/" >/dev/null # warm-up
for url in "$floor$stats" "$kit$stats" "$opscom$stats"; do
    rps -d2s -s "$work/stats.lua" "$url" >/dev/null
done

base=(); low=(); bare=(); ours=()
for round in $(seq "$ROUNDS"); do
    b=$(rps -d"$DURATION" "$hello/")
    f=$(rps -d"$DURATION" -s "$work/stats.lua" "$floor$stats")
    k=$(rps -d"$DURATION" -s "$work/stats.lua" "$kit$stats")
    o=$(rps -d"$DURATION" -s "$work/stats.lua" "$opscom$stats")
    echo "round $round: hyper hello-world $b req/s, hyper floor $f req/s, kit $k req/s, parkbench permits/stats $o req/s"
    base+=("$b"); low+=("$f"); bare+=("$k"); ours+=("$o")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${base[@]}"); mf=$(median "${low[@]}"); mk=$(median "${bare[@]}"); mo=$(median "${ours[@]}")
awk -v b="$mb" -v f="$mf" -v k="$mk" -v o="$mo" 'BEGIN {
    printf "median: hyper hello-world %.0f req/s, hyper floor %.0f req/s (%.1f%%), kit %.0f req/s (%.1f%%), parkbench %.0f req/s: %.1f%% of the baseline (target 80%%)\n", b, f, 100 * f / b, k, 100 * k / b, o, 100 * o / b
    printf "per request: hello-world %.2f us, floor +%.2f us, kit +%.2f us, OPS-COM handler +%.2f us\n", 1e6 / b, 1e6 / f - 1e6 / b, 1e6 / k - 1e6 / f, 1e6 / o - 1e6 / k
}'
