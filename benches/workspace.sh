#!/usr/bin/env bash
# Workspace page benchmarks (issue #16), release build, SQLite (the default store).
# For each size: synthetic responses in a fresh database (`chorus demo`), the service
# started on it, an evaluator logged in with the form (session cookie), then each page
# fetched REPS times in a row with curl (one client, warm): the campaigns page, the
# fieldwork monitor, the results explorer for the whole campaign, for one school, and
# for school × sector, the cross-tabulation (attribute rows × score, × a choice; answer
# rows in a school), benchmarking (two groups), the open answers, the reports page and
# the token page.
# Ceiling in the same run: `/healthz` (the bare server answering, same client).
# Wall time of the first request per page (computes it) and median and max of the
# rest (the per-data-version cache), in ms, and the server's peak RSS.
# Usage: [CHORUS_BIN=path] bash benches/workspace.sh [SIZES...]   (default: 10000 100000)
# Appends the figures, with date, commit and machine, to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
# CHORUS_BIN names another build to measure (e.g. a base commit's, for a same-run A/B);
# SEED_DB copies that database file (of one size) instead of making demo data.
if [ -z "${CHORUS_BIN:-}" ]; then cargo build --release -q --bin chorus; fi
bin="${CHORUS_BIN:-$CARGO_TARGET_DIR/release/chorus}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000)
reps=${REPS:-15}
out=benches/RESULTS.md
campaign=pingshun-2025
port=18731
token=bench-token-0123456789abcdef
rows=()
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m}'; }
maxof() { sort -n | tail -1 | awk '{printf "%.0f", $1}'; }
for n in "${sizes[@]}"; do
  dir=$(mktemp -d)
  export CHORUS_DATABASE_URL="sqlite://$dir/chorus.db?mode=rwc"
  export CHORUS_BIND="127.0.0.1:$port" CHORUS_PUBLIC_URL="http://127.0.0.1:$port"
  export CHORUS_ADMIN_TOKEN=$token CHORUS_SUBMIT_RATE=0
  if [ -n "${SEED_DB:-}" ]; then
    cp "$SEED_DB" "$dir/chorus.db"
  else
    "$bin" demo --responses "$n" >/dev/null
  fi
  "$bin" serve >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  cookie=$(curl -s -i -X POST -H "Origin: http://127.0.0.1:$port" --data "token=$token" \
    "http://127.0.0.1:$port/admin/login" | grep -i '^set-cookie' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//' | tr -d '\r')
  school=pszg
  sector=ecommerce
  for page in "healthz|/healthz" \
    "campaigns|/admin" \
    "fieldwork|/admin/campaigns/$campaign/fieldwork" \
    "results (all)|/admin/campaigns/$campaign/results" \
    "results (school)|/admin/campaigns/$campaign/results?school=$school" \
    "results (school × sector)|/admin/campaigns/$campaign/results?school=$school&sector=$sector" \
    "crosstab (schools × composite)|/admin/campaigns/$campaign/crosstab?group=students&rows=attr:school&target=ind:TOTAL" \
    "crosstab (schools × choice)|/admin/campaigns/$campaign/crosstab?group=students&rows=attr:school&target=q:bg_intern" \
    "crosstab (answer × composite, school)|/admin/campaigns/$campaign/crosstab?group=students&rows=q:bg_intern&target=ind:TOTAL&school=$school" \
    "benchmark (students, composite)|/admin/campaigns/$campaign/benchmark?group=students" \
    "benchmark (teachers, composite)|/admin/campaigns/$campaign/benchmark?group=teachers" \
    "open answers|/admin/campaigns/$campaign/text" \
    "reports page|/admin/campaigns/$campaign/reports" \
    "tokens|/admin/tokens"; do
    name=${page%%|*}
    path=${page#*|}
    times=$(for _ in $(seq 1 "$reps"); do
      curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Cookie: $cookie" "http://127.0.0.1:$port$path"
    done)
    codes=$(echo "$times" | awk '{print $1}' | sort -u | tr '\n' ' ')
    ms=$(echo "$times" | awk '{print $2 * 1000}')
    # The first request computes the view; the rest read it from the per-data-version
    # cache (as an evaluator clicking back and forth after fieldwork).
    cold=$(echo "$ms" | head -1 | awk '{printf "%.0f", $1}')
    warm=$(echo "$ms" | tail -n +2)
    rows+=("| $n | $name | $cold | $(echo "$warm" | median) | $(echo "$warm" | maxof) | $codes|")
  done
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  rows+=("| $n | server peak RSS (MB) | $rss | | | |")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
done
{
  echo
  echo "## Workspace pages — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)${CHORUS_BIN:+ (binary $CHORUS_BIN)}, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo
  echo "Release build, SQLite, default campaign, demo data${SEED_DB:+ (copied from $SEED_DB)}; one curl client on the same machine, $reps requests per page in a row after login; wall time per request. First: the request that computes the view (nothing cached for it); then the median and max of the other $((reps - 1)), served from the per-data-version cache. Ceiling: \`/healthz\` in the same run."
  echo
  echo "| responses | page | first ms | then median ms | then max ms | HTTP status |"
  echo "| ---: | --- | ---: | ---: | ---: | --- |"
  printf '%s\n' "${rows[@]}"
} >>"$out"
tail -n $((${#rows[@]} + 6)) "$out"
