#!/usr/bin/env bash
# Ingest and survey-page benchmarks (issue #7), release build, on SQLite then PostgreSQL:
# JSON submissions (~30 answers each) at 64, 256 and 1,024 concurrent connections, the
# open-link page, the respondent flow (GET the page gzipped, POST the form with its
# hidden fields, follow the redirect to the thanks page) at 64 and 256 connections,
# and in the same run their ceilings: a bare actix handler returning a
# constant (same client; once with empty answer sets, once reading the same bodies as
# a submission run), and raw inserts of the same rows into the same database.
# Usage: bash benches/ingest.sh [SECONDS_PER_RUN]   (default 60)
# Appends the figures, with date, commit and machine, to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
secs="${1:-60}"
cargo build --release -q --bin chorus --example loadgen --example ingest_ceiling
bin="$CARGO_TARGET_DIR/release/chorus"
lg="$CARGO_TARGET_DIR/release/examples/loadgen"
ceil="$CARGO_TARGET_DIR/release/examples/ingest_ceiling"
ulimit -n 65536 2>/dev/null || true
port=18181
token="bench-token-0123456789abcdef"
results=$(mktemp)

stored() {
  curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/campaigns" |
    python3 -c 'import json,sys; print(sum(c["responses"] for c in json.load(sys.stdin)["campaigns"]))'
}

run_backend() {
  local name="$1" url="$2"
  CHORUS_SUBMIT_RATE=0 CHORUS_DATABASE_URL="$url" CHORUS_BIND="127.0.0.1:$port" CHORUS_ADMIN_TOKEN="$token" RUST_LOG=warn \
    "$bin" serve >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local before acked=0
  before=$(stored)
  for c in 64 256 1024; do
    line=$("$lg" --url "http://127.0.0.1:$port" --connections "$c" --seconds "$secs")
    echo "$line"
    echo "{\"backend\": \"$name\", \"run\": $line}" >> "$results"
    acked=$((acked + $(echo "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["acknowledged"])')))
  done
  local after
  after=$(stored)
  if [ "$name" = sqlite ]; then
    # The bare handler again, now reading the very bodies a submission sends.
    line=$("$lg" --ceiling --bodies-from "http://127.0.0.1:$port" --connections 256 --seconds "$((secs / 3 + 1))")
    echo "{\"backend\": \"none\", \"run\": $line}" >> "$results"
  fi
  echo "{\"backend\": \"$name\", \"acked\": $acked, \"stored\": $((after - before))}" >> "$results"
  line=$("$lg" --url "http://127.0.0.1:$port" --mode page --connections 64 --seconds "$((secs / 3 + 1))")
  echo "{\"backend\": \"$name\", \"run\": $line}" >> "$results"
  # The respondent's flow as a phone walks it: page, form post, redirect to thanks.
  for c in 64 256; do
    line=$("$lg" --url "http://127.0.0.1:$port" --mode flow --connections "$c" --seconds "$((secs / 3 + 1))")
    echo "{\"backend\": \"$name\", \"run\": $line}" >> "$results"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  line=$(CHORUS_DATABASE_URL="$url" RUST_LOG=warn "$ceil" 200000 2>/dev/null | tail -n1)
  echo "{\"backend\": \"$name\", \"run\": $line}" >> "$results"
}

dir=$(mktemp -d)
run_backend sqlite "sqlite://$dir/chorus.db?mode=rwc"
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  db="chorus_bench_$(date +%s)"
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "create database $db" >/dev/null
  run_backend postgres "postgres://postgres@127.0.0.1:5432/$db"
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "drop database $db" >/dev/null || true
fi
for mode in submit page; do
  line=$("$lg" --ceiling --mode "$mode" --connections 256 --seconds "$((secs / 3 + 1))")
  echo "{\"backend\": \"none\", \"run\": $line}" >> "$results"
done
rm -rf "$dir"

python3 - "$results" "$secs" >> benches/RESULTS.md <<'PY'
import json, subprocess, sys, datetime, os
rows = [json.loads(l) for l in open(sys.argv[1])]
secs = sys.argv[2]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
print()
print(f"## Ingest and survey page — {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}, commit {commit}, {os.cpu_count()} cores, {mem:.0f} GiB")
print()
print(f"Release build; load generator `examples/loadgen.rs` on the same machine (it shares the 2 cores); {secs} s per submission run; each submission is a valid JSON response to the student questionnaire (~35 answers, fresh `response_id`); a 2xx is sent only after the batch holding the response is committed (SQLite WAL, synchronous=FULL; PostgreSQL synchronous_commit=on). Ceilings measured in the same run: `loadgen --ceiling` (a bare actix handler returning a constant, same client; `submit-ceiling` posts empty answer sets, `submit-ceiling-same-bodies` the same ~35-answer bodies as a submission run, read whole by the handler) and `examples/ingest_ceiling.rs` (the same rows inserted 512 per transaction in a tight loop, no HTTP).")
print()
print("`flow` is one respondent per row: the page, the form post and the thanks page (per second = complete flows; bytes = page + thanks).")
print()
print("| backend | what | connections | per second | p50 ms | p95 ms | p99 ms | max ms | errors | bytes/response |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    if "run" not in r:
        continue
    x = r["run"]
    if x.get("mode") == "storage-ceiling":
        print(f"| {r['backend']} | storage ceiling (raw inserts) | – | {x['per_second']:,.0f} | | | | | | |")
        continue
    print(f"| {r['backend']} | {x['mode']} | {x['connections']} | {x['per_second']:,.0f} | {x['p50_ms']:.1f} | {x['p95_ms']:.1f} | {x['p99_ms']:.1f} | {x['max_ms']:.1f} | {x['errors']} | {x['bytes_per_response']} |")
print()
for r in rows:
    if "acked" in r:
        verdict = "equal" if r["acked"] == r["stored"] else "DIFFERENT"
        print(f"- {r['backend']}: acknowledged {r['acked']:,}, stored {r['stored']:,} ({verdict}).")
PY
echo "appended to benches/RESULTS.md"
