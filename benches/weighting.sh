#!/usr/bin/env bash
# What weighting to the population costs the analysis (issue #17), release build,
# SQLite. Two databases of the same demo responses (same seed, same answers): one with
# the default campaign as shipped (weighting = "none"), one with the same campaign
# raked to a population (students by sector and grade, teachers by sector and role,
# enterprises by sector and size). Runs `chorus analyse` on each, alternated, RUNS
# times, and prints the medians of the read, the in-memory evaluation, the total and
# the peak RSS, with the same-run storage floor (sqlite3 reading every stored answer).
# Usage: bash benches/weighting.sh [RESPONSES] [RUNS]   (default: 100000 7)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
cargo build --release -q --bin chorus
bin="$CARGO_TARGET_DIR/release/chorus"
n="${1:-100000}"
runs="${2:-7}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The weighted copy of the shipped campaign.
mkdir -p "$work/weighted"
cp -r surveys/pingshun-2025 "$work/weighted/"
c="$work/weighted/pingshun-2025"
sed -i 's/^breakdowns = \(.*\)$/breakdowns = \1\nweighting = "raking"/' "$c/campaign.toml"
cat > "$c/population.toml" <<'EOF'
[students.sector]
ecommerce = 420
herbs = 180
tourism = 300
other = 60
[students.grade]
g1 = 340
g2 = 320
g3 = 300
[teachers.sector]
ecommerce = 30
herbs = 16
tourism = 24
other = 16
[teachers.role]
major = 40
general = 24
practice = 14
admin = 8
[enterprises.sector]
ecommerce = 14
herbs = 9
tourism = 11
other = 6
[enterprises.size]
micro = 16
small = 15
medium = 6
large = 3
EOF
"$bin" check "$c" >/dev/null

fill() { # surveys dir, database dir
  mkdir -p "$2"
  CHORUS_SURVEYS_DIR="$1" CHORUS_DATABASE_URL="sqlite://$2/chorus.db?mode=rwc" \
    "$bin" demo --responses "$n" >/dev/null
}
fill surveys "$work/plain"
fill "$work/weighted" "$work/raked"

t0=$(date +%s.%N)
sqlite3 "$work/plain/chorus.db" "SELECT sum(length(answers)) + sum(length(attributes)) FROM responses" >/dev/null
floor=$(printf "%.3f" "$(echo "$(date +%s.%N) - $t0" | bc)")

run() { # surveys dir, database dir -> "read mem total rss"
  local out
  out=$( { CHORUS_SURVEYS_DIR="$1" CHORUS_DATABASE_URL="sqlite://$2/chorus.db?mode=rwc" \
    /usr/bin/time -f 'RSS %M' "$bin" analyse --campaign pingshun-2025 --out "$2/analysis.json"; } 2>&1)
  echo "$(echo "$out" | grep -Eo 'storage in [0-9.]+' | awk '{print $3}') \
$(echo "$out" | grep -Eo 'analysed in [0-9.]+' | awk '{print $3}') \
$(echo "$out" | grep -Eo 'total [0-9.]+' | awk '{print $2}') \
$(echo "$out" | grep -Eo 'RSS [0-9]+' | awk '{printf "%.0f", $2/1024}')"
}
: > "$work/plain.txt"
: > "$work/raked.txt"
for _ in $(seq "$runs"); do
  run surveys "$work/plain" >> "$work/plain.txt"
  run "$work/weighted" "$work/raked" >> "$work/raked.txt"
done
grep -Eq '"weighting": ?\{' "$work/raked/analysis.json" || { echo "the raked run did not weight" >&2; exit 1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v k="$2" '{print $k}' "$1" | median; }
echo "responses $n, runs $runs, commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), storage floor ${floor} s"
echo "| campaign | read (s) | in memory (s) | total (s) | peak RSS (MB) | totals (min–max) |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
for f in plain raked; do
  range="$(awk '{print $3}' "$work/$f.txt" | sort -n | head -1)–$(awk '{print $3}' "$work/$f.txt" | sort -n | tail -1)"
  echo "| $f | $(col "$work/$f.txt" 1) | $(col "$work/$f.txt" 2) | $(col "$work/$f.txt" 3) | $(col "$work/$f.txt" 4) | $range |"
done
