#!/usr/bin/env bash
# Report generation time per format at several sample sizes, on SQLite, release build.
# Usage: bash benches/report.sh [SIZES...]   (default: 600 100000)
# Appends the figures, with date, commit and machine, to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
cargo build --release -q
bin="$CARGO_TARGET_DIR/release/chorus"
sizes=("${@:-600 100000}")
[ $# -eq 0 ] && sizes=(600 100000)
out=benches/RESULTS.md
{
  echo
  echo "## Report generation — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo
  echo "Release build, SQLite, default campaign, demo data; wall time of \`chorus report --format all\` as printed by the command (analysis + layout + charts, then each writer)."
  echo
  echo "| responses | demo fill (s) | analysis + layout (s) | HTML (s) | DOCX (s) | PDF (s) | XLSX (s) | peak RSS (MB) |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >> "$out"
for n in "${sizes[@]}"; do
  dir=$(mktemp -d)
  export CHORUS_DATABASE_URL="sqlite://$dir/chorus.db?mode=rwc"
  t0=$(date +%s.%N)
  "$bin" demo --responses "$n" >/dev/null
  t1=$(date +%s.%N)
  log=$(/usr/bin/time -f 'RSS %M' "$bin" report --campaign pingshun-2025 --format all --out "$dir/report.html" 2>&1)
  fill=$(echo "$t1 - $t0" | bc)
  get() { echo "$log" | grep "$1" | grep -Eo '\(([0-9.]+) s\)' | tr -d '(s) '; }
  analysed=$(echo "$log" | grep 'analysed and laid out' | grep -Eo '[0-9.]+ s' | tr -d ' s')
  rss=$(echo "$log" | grep -Eo 'RSS [0-9]+' | awk '{printf "%.0f", $2/1024}')
  printf '| %s | %.1f | %s | %s | %s | %s | %s | %s |\n' "$n" "$fill" "$analysed" "$(get report.html)" "$(get report.docx)" "$(get report.pdf)" "$(get report.xlsx)" "$rss" >> "$out"
  echo "$n responses:"; echo "$log"
  rm -rf "$dir"
done
