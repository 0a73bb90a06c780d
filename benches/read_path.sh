#!/usr/bin/env bash
# The columnar read path (issue #19): `chorus analyse` from storage, packed answers
# against the JSON, at several sizes, on SQLite and (when CHORUS_BENCH_PG is a server
# URL without a database, e.g. postgres://postgres@127.0.0.1:5432) on PostgreSQL.
#
# For each size: one database filled by `chorus demo` (seed 2025: the same answers at
# every size), then `chorus analyse --no-text` RUNS times in each of three states,
# alternated:
#   - packed: as stored (every response packed at ingest);
#   - json:   the packed column cleared, so every row is read from its JSON (what the
#             same binary does for rows stored before the column existed);
#   - before: BEFORE_BIN (a release build of the commit before the packed read path)
#             on its own database filled with the same seed, when BEFORE_BIN is set.
# Ceilings in the same run: the storage floor (sqlite3 reading the packed and the JSON
# columns without decoding) and *in memory* (the evaluation of frames already read,
# printed by `chorus analyse`).
# Usage: BEFORE_BIN=/tmp/chorus-base bash benches/read_path.sh [RUNS] [SIZES...]
#        (PG_SIZES="10000 100000" limits the PostgreSQL sizes; a 1M fill there is slow)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chorus-target}"
cargo build --release -q --bin chorus
new="$CARGO_TARGET_DIR/release/chorus"
runs="${1:-5}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, runs $runs"
secs() { local t0=$1; printf "%.3f" "$(echo "$(date +%s.%N) - $t0" | bc)"; }

bench_backend() { # backend: sqlite or postgres
  local backend=$1
  echo
  echo "| backend | responses | state | read (s) | in memory (s) | total (s) | peak RSS (MB) | totals (min–max) |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |"
  for n in "${sizes[@]}"; do
    local states=(packed json)
    local url_new url_before
    url_new=$(db_url "$backend" "$n" new)
    CHORUS_DATABASE_URL="$url_new" "$new" demo --responses "$n" >/dev/null
    if [ -n "${BEFORE_BIN:-}" ]; then
      url_before=$(db_url "$backend" "$n" before)
      CHORUS_DATABASE_URL="$url_before" "$BEFORE_BIN" demo --responses "$n" >/dev/null
      states+=(before)
    fi
    if [ "$backend" = sqlite ]; then
      local f="$work/sqlite-$n-new/chorus.db" t0
      t0=$(date +%s.%N); sqlite3 "$f" "SELECT sum(length(packed)) + sum(length(attributes)) FROM responses" >/dev/null
      echo "floor sqlite $n packed $(secs "$t0") s, DB $(du -m "$f" | cut -f1) MB" >&2
      t0=$(date +%s.%N); sqlite3 "$f" "SELECT sum(length(answers)) + sum(length(attributes)) FROM responses" >/dev/null
      echo "floor sqlite $n json $(secs "$t0") s" >&2
    fi
    # Two copies of the new database's rows would double the fill; the JSON state is
    # the same database with the packed column cleared, then packed again.
    for s in "${states[@]}"; do : > "$work/$backend-$n-$s.txt"; done
    for _ in $(seq "$runs"); do
      CHORUS_DATABASE_URL="$url_new" bin="$new" analyse_run --no-text >> "$work/$backend-$n-packed.txt"
      if [ -n "${BEFORE_BIN:-}" ]; then
        CHORUS_DATABASE_URL="$url_before" bin="$BEFORE_BIN" analyse_run --no-text >> "$work/$backend-$n-before.txt"
      fi
    done
    clear_packed "$backend" "$url_new"
    for _ in $(seq "$runs"); do
      CHORUS_DATABASE_URL="$url_new" bin="$new" analyse_run --no-text >> "$work/$backend-$n-json.txt"
    done
    local t0; t0=$(date +%s.%N)
    CHORUS_DATABASE_URL="$url_new" "$new" reindex >/dev/null 2>&1
    echo "reindex $backend $n: $(secs "$t0") s" >&2
    for s in "${states[@]}"; do
      local f="$work/$backend-$n-$s.txt"
      range="$(awk '{print $3}' "$f" | sort -n | head -1)–$(awk '{print $3}' "$f" | sort -n | tail -1)"
      echo "| $backend | $n | $s | $(col "$f" 1) | $(col "$f" 2) | $(col "$f" 3) | $(col "$f" 4) | $range |"
    done
    drop_db "$backend" "$n"
  done
}

db_url() { # backend size which
  if [ "$1" = sqlite ]; then
    mkdir -p "$work/sqlite-$2-$3"
    echo "sqlite://$work/sqlite-$2-$3/chorus.db?mode=rwc"
  else
    local name="chorus_bench_$2_$3"
    psql "$CHORUS_BENCH_PG/postgres" -qc "drop database if exists $name" >/dev/null
    psql "$CHORUS_BENCH_PG/postgres" -qc "create database $name" >/dev/null
    echo "$CHORUS_BENCH_PG/$name"
  fi
}

clear_packed() { # backend url
  if [ "$1" = sqlite ]; then
    local file="${2#sqlite://}"
    sqlite3 "${file%%\?*}" "UPDATE responses SET packed = NULL"
  else
    psql "$2" -qc "UPDATE responses SET packed = NULL" >/dev/null
  fi
}

drop_db() { # backend size
  if [ "$1" = sqlite ]; then
    rm -rf "$work/sqlite-$2-"*
  else
    for w in new before; do
      psql "$CHORUS_BENCH_PG/postgres" -qc "drop database if exists chorus_bench_$2_$w" >/dev/null
    done
  fi
}

bench_backend sqlite
if [ -n "${CHORUS_BENCH_PG:-}" ]; then
  sizes=(${PG_SIZES:-${sizes[@]}})
  bench_backend postgres
fi
