#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang into build-fuzz and
# runs each over a temporary copy of its seed corpus, so new corpus entries
# never land in the repository unless asked for. Fails on the first crash,
# printing the reproducer's path and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: tools/fuzz.sh [options]

Builds frame_fuzz, command_fuzz and json_fuzz (clang++, ASan+UBSan, libFuzzer)
in build-fuzz/ and runs each over a copy of tests/fuzz/<target>_corpus/.

Options:
  --seconds S      run each target for S seconds (default 20: the CI form)
  --runs N         run each target for N inputs instead (e.g. 1000000)
  --targets LIST   comma-separated subset (default frame,command,json)
  --keep-corpus D  copy each target's grown corpus to D/<target>/ afterwards
  --make-seeds     rewrite tests/fuzz/{command,json}_corpus/ from the fuzz org
                   (only when the schema or tests/random_commands.cc changed)
  --build-only     build, do not run
  --help           this text

A crash (or a broken invariant, sanitizer report, timeout) fails the script
and keeps its reproducer; replay it with: build-fuzz/tests/fuzz/<target> FILE
EOF
}

seconds=20
runs=""
targets="frame,command,json"
keep=""
make_seeds=0
build_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --keep-corpus) keep="$2"; shift 2 ;;
    --make-seeds) make_seeds=1; shift ;;
    --build-only) build_only=1; shift ;;
    --help|-h) usage; exit 0 ;;
    *) echo "fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds needs a number" >&2; exit 2; }
[[ -z "$runs" || "$runs" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --runs needs a number" >&2; exit 2; }
# clang and its libFuzzer runtime, installed when missing (as tools/setup.sh does).
if [ "$(dpkg-query -W -f='${Status}\n' clang libclang-rt-dev 2>/dev/null |
  grep -c "install ok installed")" -ne 2 ]; then
  echo "fuzz.sh: installing clang and libclang-rt-dev"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-dev >/dev/null
fi

IFS=, read -r -a names <<<"$targets"
build_targets=()
for name in "${names[@]}"; do
  case "$name" in
    frame|command|json) build_targets+=("${name}_fuzz") ;;
    *) echo "fuzz.sh: unknown target '$name' (frame, command, json)" >&2; exit 2 ;;
  esac
done
[[ $make_seeds -eq 1 ]] && build_targets+=(make_seeds)

build_start=$SECONDS
if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLEDGER_FUZZ=ON \
    -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=OFF >/dev/null
fi
# Only the targets and the libraries they need, not the whole project.
nice cmake --build build-fuzz --parallel "$(nproc)" --target "${build_targets[@]}"
echo "fuzz.sh: built in $((SECONDS - build_start)) s"

if [[ $make_seeds -eq 1 ]]; then
  # Only the generated files: regression inputs (regress_*) stay.
  rm -f tests/fuzz/command_corpus/{append,batch,event}_* tests/fuzz/json_corpus/line_*
  mkdir -p tests/fuzz/command_corpus tests/fuzz/json_corpus
  build-fuzz/tests/fuzz/make_seeds tests/fuzz/command_corpus tests/fuzz/json_corpus
fi
[[ $build_only -eq 1 ]] && exit 0

work=$(mktemp -d "${TMPDIR:-/tmp}/ledger-fuzz-run-XXXXXX")
failed=0
for name in "${names[@]}"; do
  target="${name}_fuzz"
  corpus="$work/$name/corpus"
  mkdir -p "$corpus" "$work/$name/artifacts"
  cp tests/fuzz/"${name}"_corpus/* "$corpus"/
  limit=(-max_total_time="$seconds")
  [[ -n "$runs" ]] && limit=(-runs="$runs")
  echo "fuzz.sh: $target ${limit[*]}"
  start=$SECONDS
  # One process, one job: the machine is shared. -timeout: a single input
  # taking this long is a hang, reported like a crash.
  if ! nice "build-fuzz/tests/fuzz/$target" "${limit[@]}" -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$work/$name/artifacts/" "$corpus" >"$work/$name/log" 2>&1; then
    tail -n 40 "$work/$name/log" >&2
    echo "fuzz.sh: $target FAILED; reproducer(s):" >&2
    ls -1 "$work/$name/artifacts/"* >&2 || true
    echo "fuzz.sh: replay with: build-fuzz/tests/fuzz/$target <reproducer>; log: $work/$name/log" >&2
    failed=1
    break
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name/log")
  echo "fuzz.sh: $target ok: $execs inputs in $((SECONDS - start)) s ($rate exec/s)," \
    "corpus $(ls "$corpus" | wc -l) files"
  if [[ -n "$keep" ]]; then
    mkdir -p "$keep/$name"
    cp "$corpus"/* "$keep/$name"/
  fi
done
if [[ $failed -eq 1 ]]; then
  echo "fuzz.sh: kept $work" >&2
  exit 1
fi
rm -rf "$work"
echo "fuzz.sh: all targets passed"
