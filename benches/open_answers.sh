#!/usr/bin/env bash
# What reading the open answers costs (issue #18), release build.
# 1. In memory: `cargo bench --bench open_answers` analyses ANSWERS demo open answers
#    (redaction, jieba with the campaign's dictionary, counts per group and breakdown
#    cell, log-odds, themes, quotes) RUNS times; median, dictionary load, peak RSS.
# 2. End to end, SQLite: RESPONSES demo responses of the default campaign (~57 % with
#    an open answer); `chorus analyse --no-text` and `chorus analyse` alternated, RUNS
#    times each; medians of the read, the in-memory evaluation, the total and the peak
#    RSS.
# Usage: bash benches/open_answers.sh [ANSWERS] [RESPONSES] [RUNS]   (default: 100000 100000 7)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
answers="${1:-100000}"
n="${2:-100000}"
runs="${3:-7}"
cargo build --release -q --bin chorus
bin="$CARGO_TARGET_DIR/release/chorus"
echo "commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ)"
cargo bench -q --bench open_answers -- "$answers" "$runs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/db"
export CHORUS_DATABASE_URL="sqlite://$work/db/chorus.db?mode=rwc"
"$bin" demo --responses "$n" >/dev/null

run() { # extra flag -> "read mem total rss"
  local out
  out=$( { /usr/bin/time -f 'RSS %M' "$bin" analyse --campaign pingshun-2025 --out "$work/analysis.json" "$@"; } 2>&1)
  echo "$(echo "$out" | grep -Eo 'storage in [0-9.]+' | awk '{print $3}') \
$(echo "$out" | grep -Eo 'analysed in [0-9.]+' | awk '{print $3}') \
$(echo "$out" | grep -Eo 'total [0-9.]+' | awk '{print $2}') \
$(echo "$out" | grep -Eo 'RSS [0-9]+' | awk '{printf "%.0f", $2/1024}')"
}
: > "$work/notext.txt"
: > "$work/withtext.txt"
for _ in $(seq "$runs"); do
  run --no-text >> "$work/notext.txt"
  run >> "$work/withtext.txt"
done
grep -q '"distinctive"' "$work/analysis.json" || { echo "the text run read no open answers" >&2; exit 1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v k="$2" '{print $k}' "$1" | median; }
echo "responses $n, runs $runs"
echo "| campaign | read (s) | in memory (s) | total (s) | peak RSS (MB) | totals (min–max) |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
for f in notext withtext; do
  range="$(awk '{print $3}' "$work/$f.txt" | sort -n | head -1)–$(awk '{print $3}' "$work/$f.txt" | sort -n | tail -1)"
  echo "| $f | $(col "$work/$f.txt" 1) | $(col "$work/$f.txt" 2) | $(col "$work/$f.txt" 3) | $(col "$work/$f.txt" 4) | $range |"
done
