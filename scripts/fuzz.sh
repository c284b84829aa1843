#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each for a
# bounded time. Not part of CI (10 minutes per target by default).
#
#   bash scripts/fuzz.sh                      all targets, FUZZ_SECONDS (600) each
#   FUZZ_SECONDS=60 bash scripts/fuzz.sh fuzz_wkb
#
# Targets: fuzz_project (project-file TOML), fuzz_samples (sample CSV sheets through
# classify), fuzz_wkb (geometry ingestion from WKB). Corpora start from fuzz/corpus/<target>
# (seeds, kept in git) and grow in build-fuzz/corpus/<target>. A crash, sanitizer report,
# leak, timeout or out-of-memory is copied to fuzz/crashes/ and the script exits non-zero;
# each such input becomes a regression test in tests/unit/hardening/test_fuzz_regressions.cpp.
# Logs: build-fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${FUZZ_SECONDS:-600}"
BUILD_DIR="${SOILRISK_FUZZ_BUILD_DIR:-build-fuzz}"
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(fuzz_project fuzz_samples fuzz_wkb)

bash scripts/setup-debian.sh
# clang with libFuzzer and the sanitizer runtimes (Debian 12: clang-14, libclang-rt-14-dev).
CLANG_PKGS=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${CLANG_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "fuzz: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  GEN=()
  command -v ninja >/dev/null && GEN=(-G Ninja)
  LAUNCHER=()
  command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" "${LAUNCHER[@]}" \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    -DSOILRISK_FUZZ=ON -DSOILRISK_BUILD_TESTS=OFF
fi
cmake --build "$BUILD_DIR" --parallel "${FUZZ_BUILD_JOBS:-$(nproc)}" --target "${TARGETS[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
[ -f fuzz/lsan.supp ] && export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/fuzz/lsan.supp}"

mkdir -p "$BUILD_DIR/logs" "$BUILD_DIR/artifacts" fuzz/crashes
status=0
for t in "${TARGETS[@]}"; do
  corpus="$BUILD_DIR/corpus/$t"
  artifacts="$BUILD_DIR/artifacts/$t/"
  rm -rf "$artifacts" # only this run's findings count
  mkdir -p "$corpus" "$artifacts"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  log="$BUILD_DIR/logs/$t.log"
  echo "fuzz: $t for ${SECONDS_EACH}s (log: $log)"
  rc=0
  "$BUILD_DIR/fuzz/$t" "$corpus" "fuzz/corpus/$t" "${dict[@]}" \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=60 \
    -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1 || rc=$?
  grep -E "^Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|cov: " \
    "$log" | tail -n 4 || true
  found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
            -o -name 'oom-*' -o -name 'slow-unit-*' \) | sort)
  if [ "$rc" -ne 0 ] || [ -n "$(echo "$found" | grep -v slow-unit || true)" ]; then
    echo "fuzz: $t FAILED (exit $rc)"
    for f in $found; do cp "$f" "fuzz/crashes/$t-$(basename "$f")"; echo "  -> fuzz/crashes/$t-$(basename "$f")"; done
    status=1
  else
    echo "fuzz: $t ok"
  fi
done
exit $status
