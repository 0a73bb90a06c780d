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
. benches/common.sh
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

run() { analyse_run --out "$work/analysis.json" "$@"; }
: > "$work/notext.txt"
: > "$work/withtext.txt"
for _ in $(seq "$runs"); do
  run --no-text >> "$work/notext.txt"
  run >> "$work/withtext.txt"
done
grep -q '"distinctive"' "$work/analysis.json" || { echo "the text run read no open answers" >&2; exit 1; }
echo "responses $n, runs $runs"
analyse_table notext withtext
