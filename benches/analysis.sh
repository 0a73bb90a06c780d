#!/usr/bin/env bash
# Analysis and report benchmarks (issue #7), release build, SQLite (the default store).
# For each size: synthetic responses (three groups, three sectors, ~30 scored items) are
# written into a fresh database with `chorus demo`, then, each as its own process with
# wall time and peak RSS:
#   - `chorus analyse`: read every response from storage + the whole evaluation
#     (scores with CIs per indicator x group, breakdowns with suppression, item
#     statistics, reliability, gaps with Welch/Kruskal-Wallis, fuzzy, IPA);
#   - `chorus report --format all`: analysis + layout, then each writer;
#   - the obvious alternative: `chorus export` (streamed CSV) then
#     benches/pandas_analysis.py (pandas + scipy doing the same computations);
#   - ceilings: the analysis of the same frames already in memory (printed by
#     `chorus analyse`), and sqlite3 scanning the same rows (the storage read floor).
# Usage: bash benches/analysis.sh [SIZES...]   (default: 10000 100000 1000000)
# Needs python3 with pandas and scipy for the comparison (pip install pandas scipy).
# Appends the figures, with date, commit and machine, to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
cargo build --release -q --bin chorus
bin="$CARGO_TARGET_DIR/release/chorus"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
out=benches/RESULTS.md
campaign=pingshun-2025
rss() { grep -Eo 'RSS [0-9]+' | awk '{printf "%.0f", $2/1024}'; }
wall() { grep -Eo 'WALL [0-9.]+' | awk '{print $2}'; }
rows=()
for n in "${sizes[@]}"; do
  dir=$(mktemp -d)
  export CHORUS_DATABASE_URL="sqlite://$dir/chorus.db?mode=rwc"
  t0=$(date +%s.%N)
  "$bin" demo --responses "$n" >/dev/null
  fill=$(printf "%.1f" "$(echo "$(date +%s.%N) - $t0" | bc)")
  db_mb=$(du -m "$dir/chorus.db" | cut -f1)
  # Storage floor: sqlite3 reading every stored answer (no decoding).
  t0=$(date +%s.%N)
  sqlite3 "$dir/chorus.db" "SELECT sum(length(answers)) + sum(length(attributes)) FROM responses" >/dev/null
  floor=$(printf "%.2f" "$(echo "$(date +%s.%N) - $t0" | bc)")
  a=$( { /usr/bin/time -f 'RSS %M WALL %e' "$bin" analyse --campaign $campaign --out "$dir/analysis.json"; } 2>&1)
  echo "$a"
  a_read=$(echo "$a" | grep -Eo 'storage in [0-9.]+' | awk '{print $3}')
  a_mem=$(echo "$a" | grep -Eo 'analysed in [0-9.]+' | awk '{print $3}')
  a_total=$(echo "$a" | grep -Eo 'total [0-9.]+' | awk '{print $2}')
  a_rss=$(echo "$a" | rss)
  r=$( { /usr/bin/time -f 'RSS %M WALL %e' "$bin" report --campaign $campaign --format all --out "$dir/report.html"; } 2>&1)
  echo "$r"
  get() { echo "$r" | grep "$1" | grep -Eo '\(([0-9.]+) s\)' | tr -d '(s) '; }
  r_an=$(echo "$r" | grep 'analysed and laid out' | grep -Eo '[0-9.]+ s' | tr -d ' s')
  r_rss=$(echo "$r" | rss)
  e=$( { /usr/bin/time -f 'RSS %M WALL %e' "$bin" export --campaign $campaign --out "$dir/responses.csv"; } 2>&1)
  echo "$e"
  e_wall=$(echo "$e" | grep -Eo 'in [0-9.]+ s' | awk '{print $2}')
  e_rss=$(echo "$e" | rss)
  csv_mb=$(du -m "$dir/responses.csv" | cut -f1)
  if python3 -c 'import pandas, scipy' 2>/dev/null; then
    p=$( { /usr/bin/time -f 'RSS %M WALL %e' python3 benches/pandas_analysis.py "$dir/responses.csv" "surveys/$campaign"; } 2>&1)
    echo "$p"
    p_total=$(echo "$p" | grep '^{' | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["total_s"])')
    p_wall=$(echo "$p" | wall)
    p_rss=$(echo "$p" | rss)
  else
    p_total="n/a"; p_wall="n/a"; p_rss="n/a"
  fi
  rows+=("| $n | $fill | $db_mb | $floor | **$a_total** | $a_read | $a_mem | **$a_rss** | $e_wall / $e_rss | $p_total ($p_wall) / $p_rss | $r_an | $(get report.html) | $(get report.docx) | $(get report.pdf) | $(get report.xlsx) | $r_rss |")
  rm -rf "$dir"
done
{
  echo
  echo "## Analysis and reports from storage — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo
  echo "Release build, SQLite file, default campaign, \`chorus demo\` data (students/teachers/enterprises, three sectors, ~30 scored items per response). Each step is its own process: wall seconds and peak RSS (MB). *analyse* = \`chorus analyse\` (read from storage + full evaluation), split into *read* (stream rows, decode into columnar frames) and *in memory* (the evaluation over frames already in memory: the ceiling). *floor* = sqlite3 scanning the same JSON columns. *export* = \`chorus export\` streamed CSV; *pandas* = benches/pandas_analysis.py on that CSV (same computations, pandas + scipy): seconds from reading the CSV to the last statistic, in brackets the process wall time including Python's start and imports. Report columns: \`chorus report --format all\` (analysis + layout + charts, then each writer) and its peak RSS."
  echo
  echo "| responses | demo fill (s) | DB (MB) | sqlite3 floor (s) | analyse (s) | read (s) | in memory (s) | analyse RSS (MB) | export s / MB | pandas s / MB | report analysis + layout (s) | HTML (s) | DOCX (s) | PDF (s) | XLSX (s) | report RSS (MB) |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for row in "${rows[@]}"; do echo "$row"; done
} | tee -a "$out"
