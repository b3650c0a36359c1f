#!/usr/bin/env bash
# Runs every fuzz target of a WHARF_FUZZ build: first the checked-in corpus (fuzz/corpus/<target>/,
# a replay: any crash there fails at once), then new inputs for SECONDS each, JOBS targets at a
# time. New inputs go to BUILD/fuzz-out/<target>/ (never into the repository); a crash leaves its
# input in BUILD/fuzz-out/crash-* and fails the run. Prints one line per target:
# executions, exec/s, coverage (edges), crashes.
#
#   scripts/fuzz.sh build-fuzz 10 2     # make fuzz-smoke
#   scripts/fuzz.sh build-fuzz 600 14   # make fuzz FUZZ_SECONDS=600 FUZZ_JOBS=14
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-10}
jobs=${3:-2}
out=$build/fuzz-out
mkdir -p "$out"
# Leaks inside third-party libraries (fuzz/lsan.supp) are reported there, not failed on.
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
targets=$(cd "$build/fuzz" && ls fuzz_* | grep -v '\.' || true)
[ -n "$targets" ] || { echo "no fuzz targets in $build/fuzz: run make fuzz-smoke"; exit 1; }

run_one() {
  local t=$1 name=${1#fuzz_}
  local corpus=fuzz/corpus/$name
  [ -d "$corpus" ] || { echo "$t: missing seed corpus $corpus"; return 1; }
  mkdir -p "$out/$name"
  local dict=()
  [ -f "fuzz/dict/$name.dict" ] && dict=(-dict="fuzz/dict/$name.dict")
  local rc=0
  "$build/fuzz/$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$out/crash-$name-" "${dict[@]}" "$out/$name" "$corpus" \
    > "$out/$name.log" 2>&1 || rc=$?
  local execs rate cov
  execs=$(grep -m1 'stat::number_of_executed_units' "$out/$name.log" | awk '{print $2}')
  rate=$(grep -m1 'stat::average_exec_per_sec' "$out/$name.log" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$out/$name.log" | tail -1 | awk '{print $2}')
  printf '%-22s execs=%-10s exec/s=%-7s cov=%-6s crashes=%s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "$([ $rc = 0 ] && echo 0 || echo 1)"
  if [ $rc != 0 ]; then
    echo "---- $t failed (exit $rc); the input is in $out/crash-$name-*; its log:"
    grep -A40 -m1 -E 'ERROR|runtime error|property failed|deadly signal' "$out/$name.log" | head -60
    return 1
  fi
}
export -f run_one
export build seconds out
echo "fuzz: $(echo $targets | wc -w) targets, ${seconds}s each, $jobs at a time"
echo $targets | tr ' ' '\n' | xargs -P "$jobs" -I{} bash -c 'run_one {}'
