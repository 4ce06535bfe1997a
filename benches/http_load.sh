#!/usr/bin/env bash
# What a user feels: throughput and latency of the quickstart's
# `GET /users/{id}` under `wrk`, untraced, with `traced`, and with `tracing`
# + `tracing-opentelemetry`, each exporting every span over OTLP/HTTP to a
# receiver on this machine (benches/http_load.rs).
#
#   bash benches/http_load.sh [SECONDS] [ROUNDS] [CONNECTIONS]   (default 10 3 32)
#
# Runs the modes interleaved, ROUNDS times each, without and with SQLite,
# and prints one line per run plus each traced mode against the untraced
# run of the same round, with the server process's own CPU per request
# (read from /proc: steadier than throughput on a shared machine). After each traced run it compares the spans the
# receiver got with the requests served, so a mode that drops spans shows it.
# Not a test: figures go to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
rounds=${2:-3}
connections=${3:-32}
server_port=18080
receiver_port=14318

if ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
fi
source .ci/toolchain.sh
cargo bench --features http-server,sqlx-sqlite,otlp-http --bench http_load --no-run 2>/dev/null
bin=$(cargo bench --features http-server,sqlx-sqlite,otlp-http --bench http_load --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "http_load" and m.get("executable"):
        print(m["executable"])')

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for() { # port
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listening on $1" >&2
  return 1
}

"$bin" receive "$receiver_port" & pids+=($!)
wait_for "$receiver_port"
received() { curl -s "http://127.0.0.1:$receiver_port/spans"; }

# spans per request: server, get_user, fetch_user_from_db, process_user_data (+ the query)
run() { # mode db round
  local mode=$1 db=$2 round=$3 before after warm out rps p50 p99 requests
  before=$(received)
  "$bin" serve "$mode" "$server_port" "$receiver_port" "$db" 2>/tmp/http_load.$mode.err & local server=$!
  wait_for "$server_port"
  # Warm-up: connections, the first chunk of buffers, the database.
  warm=$(wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$server_port/users/1" | awk '/requests in/ {print $1}')
  # The server's own CPU time (user + system, in clock ticks) around the
  # measured run: what a request costs the server, whatever else the two
  # cores were doing (wrk, the receiver).
  local cpu_before cpu_after cpu_us
  cpu_before=$(awk '{print $14 + $15}' "/proc/$server/stat")
  out=$(wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$server_port/users/1")
  cpu_after=$(awk '{print $14 + $15}' "/proc/$server/stat")
  kill -TERM "$server" && wait "$server" || true
  # The receiver has what was exported once the server has shut down (it flushes).
  after=$(received)
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  # Every request served, the warm-up's too, for the spans per request.
  local measured
  measured=$(awk '/requests in/ {print $1}' <<<"$out")
  requests=$(( measured + warm ))
  cpu_us=$(python3 -c "print(f'{($cpu_after - $cpu_before) * 1e6 / $(getconf CLK_TCK) / max($measured, 1):.2f}')")
  printf '%-5s %-8s round %d  %-13s %10s req/s  p50 %8s  p99 %8s  server CPU %6s µs/req  spans %8d\n' \
    "$db" "" "$round" "$mode" "$rps" "$p50" "$p99" "$cpu_us" "$((after - before))"
  echo "$db $round $mode $rps $p50 $p99 $requests $((after - before)) $cpu_us" >>"$results"
}

results=$(mktemp)
for db in none sqlite; do
  for round in $(seq 1 "$rounds"); do
    modes="untraced traced tracing-otel"
    # The SQL trace comment (on by default for sampled spans) makes each
    # statement's text unique, so none comes from sqlx's statement cache.
    if [ "$db" = sqlite ]; then modes="untraced traced traced-no-comment tracing-otel"; fi
    for mode in $modes; do
      run "$mode" "$db" "$round"
    done
  done
done

# Ratios within each round, then the median over rounds.
python3 - "$results" <<'EOF'
import statistics, sys
def ms(v):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for db, rnd, mode, rps, p50, p99, requests, spans, cpu in rows:
    by[(db, rnd, mode)] = (float(rps), ms(p50), ms(p99), int(requests), int(spans), float(cpu))
print()
print("| database | mode | req/s | p50 ms | p99 ms | throughput lost | p99 added | server CPU µs / request | spans / request |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for db in ("none", "sqlite"):
    rounds = sorted({r for d, r, _ in by if d == db})
    for mode in ("untraced", "traced", "traced-no-comment", "tracing-otel"):
        runs = [(by[(db, r, mode)], by[(db, r, "untraced")]) for r in rounds if (db, r, mode) in by]
        if not runs:
            continue
        med = lambda xs: statistics.median(xs)
        rps = med([m[0] for m, _ in runs]); p50 = med([m[1] for m, _ in runs]); p99 = med([m[2] for m, _ in runs])
        lost = med([1 - m[0] / u[0] for m, u in runs]) * 100
        added = med([m[2] / u[2] - 1 for m, u in runs]) * 100
        spr = med([m[4] / max(m[3], 1) for m, _ in runs])
        cpu = med([m[5] for m, _ in runs])
        lost_s = "-" if mode == "untraced" else f"{lost:.1f} %"
        added_s = "-" if mode == "untraced" else f"{added:+.1f} %"
        spr_s = "-" if mode == "untraced" else f"{spr:.2f}"
        print(f"| {db} | {mode} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {lost_s} | {added_s} | {cpu:.2f} | {spr_s} |")
EOF
rm -f "$results"
