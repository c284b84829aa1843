# Helpers for CLI tests (sourced). Each test script gets: $1 tool, $2 scratch dir, $3 source dir.
set -uo pipefail
TOOL="$(realpath "$1")"; WORK="$2"; SRC="$(realpath "$3")"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
# expect_exit CODE CMD... : runs CMD, keeps stdout in out.txt and stderr in err.txt
expect_exit() {
  local want="$1"; shift
  "$@" >out.txt 2>err.txt; local got=$?
  [ "$got" = "$want" ] || { fail "'$*' exited $got, expected $want"; cat err.txt; }
}
expect_in() { grep -qF -- "$2" "$1" || { fail "'$2' not in $1"; sed 's/^/  | /' "$1" | head -20; }; }
expect_not_in() { ! grep -qF -- "$2" "$1" || fail "'$2' unexpectedly in $1"; }
lines_of() { wc -l <"$1" | tr -d ' '; }
finish() { if [ "$FAILS" -eq 0 ]; then echo "ok"; exit 0; else echo "$FAILS failure(s)"; exit 1; fi; }
