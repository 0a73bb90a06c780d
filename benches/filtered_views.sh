#!/usr/bin/env bash
# Filtered views (issue #19): once a pass over the whole campaign has summarised its
# fine cells (per data version) and kept its frames, a filtered view is selected from
# them (or, when a `[quality] exclude` applies, reads only its own responses).
# Release build, SQLite (and PostgreSQL), demo data (`chorus demo`, seed 2025), the service on it, the
# API with the evaluator token, one curl client on the same machine.
# For each size, on a freshly started server:
#   - first /scores?sector=herbs: reads the whole campaign and keeps its summary
#     (what every filtered view cost before);
#   - then REPS requests each (the API computes every request; nothing is cached but
#     the summary and its kept frames) of /scores and /analysis (with open answers) for one sector, one
#     grade, sector × grade, and /scores for the whole campaign;
#   - the first /report.html?sector=herbs (all four formats built; the report cache
#     is empty, the summary is kept);
#   - ceiling in the same run: /healthz.
# Wall time in ms: the first request, and the median and max of the others.
# With CHORUS_BENCH_PG a server URL without a database (e.g.
# postgres://postgres@127.0.0.1:5432), PostgreSQL too (PG_SIZES limits its sizes).
# CHORUS_BIN runs that binary instead of building one (for alternated A/B runs);
# SEED_DB (SQLite only) copies that database file instead of making demo data.
# Usage: bash benches/filtered_views.sh [SIZES...]   (default: 10000 100000 1000000)
# Appends the figures, with date, commit and machine, to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
if [ -n "${CHORUS_BIN:-}" ]; then
  bin=$CHORUS_BIN
else
  cargo build --release -q --bin chorus
  bin="$CARGO_TARGET_DIR/release/chorus"
fi
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
reps=${REPS:-9}
out=benches/RESULTS.md
campaign=pingshun-2025
port=18741
token=bench-token-0123456789abcdef
api="http://127.0.0.1:$port/api/v1/campaigns/$campaign"
rows=()
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m}'; }
maxof() { sort -n | tail -1 | awk '{printf "%.0f", $1}'; }
fetch() { # url → "status ms"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" "$1" |
    awk '{printf "%s %.1f\n", $1, $2 * 1000}'
}
row() { # size name url count (the backend is $backend)
  local times
  times=$(for _ in $(seq 1 "$4"); do fetch "$3"; done)
  local codes ms
  codes=$(echo "$times" | awk '{print $1}' | sort -u | tr '\n' ' ')
  ms=$(echo "$times" | awk '{print $2}')
  if [ "$4" -eq 1 ]; then
    rows+=("| $backend | $1 | $2 | $(echo "$ms" | median) | | | $codes|")
  else
    rows+=("| $backend | $1 | $2 | $(echo "$ms" | head -1 | median) | $(echo "$ms" | tail -n +2 | median) | $(echo "$ms" | tail -n +2 | maxof) | $codes|")
  fi
}
runs=()
for n in "${sizes[@]}"; do runs+=("sqlite $n"); done
if [ -n "${CHORUS_BENCH_PG:-}" ]; then
  for n in ${PG_SIZES:-${sizes[@]}}; do runs+=("postgres $n"); done
fi
for r in "${runs[@]}"; do
  backend=${r% *}
  n=${r#* }
  dir=$(mktemp -d)
  if [ "$backend" = sqlite ]; then
    export CHORUS_DATABASE_URL="sqlite://$dir/chorus.db?mode=rwc"
  else
    psql "$CHORUS_BENCH_PG/postgres" -qc "drop database if exists chorus_bench_views" >/dev/null
    psql "$CHORUS_BENCH_PG/postgres" -qc "create database chorus_bench_views" >/dev/null
    export CHORUS_DATABASE_URL="$CHORUS_BENCH_PG/chorus_bench_views"
  fi
  export CHORUS_BIND="127.0.0.1:$port" CHORUS_PUBLIC_URL="http://127.0.0.1:$port"
  export CHORUS_ADMIN_TOKEN=$token CHORUS_SUBMIT_RATE=0
  if [ "$backend" = sqlite ] && [ -n "${SEED_DB:-}" ]; then
    cp "$SEED_DB" "$dir/chorus.db"
  else
    "$bin" demo --responses "$n" >/dev/null
  fi
  "$bin" serve >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  row "$n" "healthz (ceiling)" "http://127.0.0.1:$port/healthz" "$reps"
  row "$n" "first /scores?sector=herbs (whole campaign read, summary kept)" "$api/scores?sector=herbs" 1
  row "$n" "/scores?sector=herbs" "$api/scores?sector=herbs" "$reps"
  row "$n" "/scores?grade=g2" "$api/scores?grade=g2" "$reps"
  row "$n" "/scores?sector=herbs&grade=g1" "$api/scores?sector=herbs&grade=g1" "$reps"
  row "$n" "/analysis?sector=herbs (with open answers)" "$api/analysis?sector=herbs" "$reps"
  row "$n" "/scores (whole campaign)" "$api/scores" "$reps"
  row "$n" "first /report.html?sector=herbs (four formats)" "$api/report.html?sector=herbs" 1
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  rows+=("| $backend | $n | server peak RSS (MB) | $rss | | | |")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
done
{
  echo
  echo "## Filtered views — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo
  echo "Release build${CHORUS_BIN:+ $CHORUS_BIN}, SQLite (and PostgreSQL where listed), demo data${SEED_DB:+ (copied from $SEED_DB)}, a freshly started server per size; one curl client on the same machine with the evaluator token. Each API request is computed (only the campaign's summary of fine cells, with its kept frames, is kept between requests). First: the first request; then the median and max of the other $((reps - 1)). Ceiling: \`/healthz\` in the same run."
  echo
  echo "| backend | responses | request | first ms | then median ms | then max ms | HTTP status |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | --- |"
  printf '%s\n' "${rows[@]}"
} >>"$out"
tail -n $((${#rows[@]} + 6)) "$out"
