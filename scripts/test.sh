#!/usr/bin/env bash
# Installs what is missing, builds in Release and runs the whole test suite with CTest.
# SOILRISK_SANITIZE=1 builds into build-asan/ with AddressSanitizer + UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
if [ "${SOILRISK_SANITIZE:-0}" = "1" ]; then
  export SOILRISK_BUILD_DIR="${SOILRISK_BUILD_DIR:-build-asan}"
  bash scripts/build.sh -DSOILRISK_SANITIZE=ON
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
  bash scripts/build.sh
fi
BUILD_DIR="${SOILRISK_BUILD_DIR:-build}"
ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
