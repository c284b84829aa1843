#!/usr/bin/env bash
# The main job: installs what is missing, builds in Release and runs the Liuzhou demo
# project (data/demo/project.toml) into demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
bash scripts/build.sh
BUILD_DIR="${SOILRISK_BUILD_DIR:-build}"
"$BUILD_DIR/soilrisk" run data/demo/project.toml --out demo-out --overwrite "$@"
echo "demo: outputs in $(pwd)/demo-out (see demo-out/manifest.json)"
