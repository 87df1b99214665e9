#!/usr/bin/env bash
# Fuzzes every reader of outside bytes with libFuzzer under ASan + UBSan:
#   bash scripts/fuzz.sh [SECONDS] [HARNESS...]
# SECONDS per harness (default 60); HARNESS names (default all): idx cifar10
# cifar100 image model npy config_json compact_codes. Builds build-fuzz/ with
# clang (SMT_FUZZ=ON), writes the seed corpora (build-fuzz/seeds/, made by
# smt_fuzz_seeds), replays the kept regression inputs (tests/data/fuzz/), then
# fuzzes, growing build-fuzz/corpus/<harness>/ from run to run. Findings go to
# build-fuzz/findings/<harness>/ and make the script exit non-zero.
# SMT_FUZZ_JOBS=N runs N harnesses at once (default 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "fuzz.sh: $*" >&2; }

seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ ]] || { say "SECONDS must be a whole number, got '$seconds'"; exit 2; }
shift || true
all=(idx cifar10 cifar100 image model npy config_json compact_codes)
harnesses=("${@:-${all[@]}}")
jobs=${SMT_FUZZ_JOBS:-1}

# Longest input per harness: a few records or a small file is enough to reach
# every branch, and short inputs keep the executions fast.
declare -A max_len=([idx]=8192 [cifar10]=12300 [cifar100]=12300 [image]=8192 [model]=16384
                    [npy]=4096 [config_json]=4096 [compact_codes]=4096)
for h in "${harnesses[@]}"; do
  [[ -n ${max_len[$h]:-} ]] || { say "unknown harness '$h' (known: ${all[*]})"; exit 2; }
done

if ! command -v clang++ >/dev/null 2>&1 || ! compgen -G \
     "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  bash scripts/install-deps.sh
fi

build=build-fuzz
say "building the harnesses in $build/ (clang, libFuzzer, ASan + UBSan)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSMT_FUZZ=ON -DSMT_BUILD_TESTS=OFF -DSMT_BUILD_PYTHON=OFF >/dev/null
cmake --build "$build" --target smt_fuzzers
rm -rf "$build/seeds"
"$build/smt_fuzz_seeds" "$build/seeds" configs

export OMP_NUM_THREADS=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
# -malloc_limit_mb: no input of at most max_len bytes needs a 256 MiB block
# (gzip expands at most ~1000x), so a larger one is a size taken on trust.
common=(-rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1)

mkdir -p "$build/logs"
fail=0

say "replaying the kept regression inputs (tests/data/fuzz/)"
for h in "${harnesses[@]}"; do
  inputs=(tests/data/fuzz/"$h"/*)
  [[ -e ${inputs[0]} ]] || continue
  if ! "$build/fuzz_$h" "${common[@]}" "${inputs[@]}" >"$build/logs/$h.replay.log" 2>&1; then
    say "FAIL $h: a regression input fails again; see $build/logs/$h.replay.log"
    fail=1
  fi
done

run_one() {
  local h=$1 start=$SECONDS rc=0
  # Findings are this run's: a fixed one belongs in tests/data/fuzz/, not here.
  rm -rf "$build/findings/$h"
  mkdir -p "$build/corpus/$h" "$build/findings/$h"
  "$build/fuzz_$h" "${common[@]}" -max_len="${max_len[$h]}" -max_total_time="$seconds" \
    -artifact_prefix="$build/findings/$h/" "$build/corpus/$h" "$build/seeds/$h" \
    >"$build/logs/$h.log" 2>&1 || rc=$?
  echo $((SECONDS - start)) >"$build/logs/$h.secs"  # less than asked when it stopped on a finding
  return $rc
}

say "fuzzing ${harnesses[*]} for ${seconds}s each, $jobs at a time"
declare -A pid_of=()
for h in "${harnesses[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n || true; done
  run_one "$h" &
  pid_of[$h]=$!
done
declare -A rc_of=()
for h in "${harnesses[@]}"; do
  rc=0
  wait "${pid_of[$h]}" || rc=$?
  rc_of[$h]=$rc
done

printf '%-14s %5s %11s %8s %6s %6s %14s  %s\n' harness secs executions exec/s cov ft corpus result >&2
for h in "${harnesses[@]}"; do
  log=$build/logs/$h.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  result=ok
  if [[ ${rc_of[$h]} -ne 0 ]] || compgen -G "$build/findings/$h/*" >/dev/null; then
    result="FINDING (exit ${rc_of[$h]}): $build/findings/$h/, log $log"
    fail=1
  fi
  printf '%-14s %5s %11s %8s %6s %6s %14s  %s\n' "$h" "$(cat "$build/logs/$h.secs")" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result" >&2
done

if [[ $fail -ne 0 ]]; then
  say "findings above: reproduce with $build/fuzz_<harness> <input>, fix the reader, keep the" \
    "input under tests/data/fuzz/<harness>/"
  exit 1
fi
say "no findings in ${SECONDS}s"
