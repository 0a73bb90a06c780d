# Shared by the benchmark scripts (sourced): medians and the table rows of the
# `chorus analyse` runs each script records, one "read mem total rss" line per run.

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v k="$2" '{print $k}' "$1" | median; }

# The table of runs: one row per file named in "$@" (in the work dir "$work").
analyse_table() {
  echo "| campaign | read (s) | in memory (s) | total (s) | peak RSS (MB) | totals (min–max) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  for f in "$@"; do
    range="$(awk '{print $3}' "$work/$f.txt" | sort -n | head -1)–$(awk '{print $3}' "$work/$f.txt" | sort -n | tail -1)"
    echo "| $f | $(col "$work/$f.txt" 1) | $(col "$work/$f.txt" 2) | $(col "$work/$f.txt" 3) | $(col "$work/$f.txt" 4) | $range |"
  done
}

# One `chorus analyse` run (binary "$bin", extra arguments "$@"): "read mem total rss".
analyse_run() {
  local out
  out=$( { /usr/bin/time -f 'RSS %M' "$bin" analyse --campaign pingshun-2025 "$@"; } 2>&1)
  echo "$(echo "$out" | grep -Eo 'storage in [0-9.]+' | awk '{print $3}') \
$(echo "$out" | grep -Eo 'analysed in [0-9.]+' | awk '{print $3}') \
$(echo "$out" | grep -Eo 'total [0-9.]+' | awk '{print $2}') \
$(echo "$out" | grep -Eo 'RSS [0-9]+' | awk '{printf "%.0f", $2/1024}')"
}
