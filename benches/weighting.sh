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
. benches/common.sh
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
  CHORUS_SURVEYS_DIR="$1" CHORUS_DATABASE_URL="sqlite://$2/chorus.db?mode=rwc" \
    analyse_run --out "$2/analysis.json"
}
: > "$work/plain.txt"
: > "$work/raked.txt"
for _ in $(seq "$runs"); do
  run surveys "$work/plain" >> "$work/plain.txt"
  run "$work/weighted" "$work/raked" >> "$work/raked.txt"
done
grep -Eq '"weighting": ?\{' "$work/raked/analysis.json" || { echo "the raked run did not weight" >&2; exit 1; }
echo "responses $n, runs $runs, commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), storage floor ${floor} s"
analyse_table plain raked
