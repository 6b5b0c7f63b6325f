#!/bin/sh
# The UI suite must still catch a leak of ours (test-leak-canary.c says why).
# Usage: check-leak-canary.sh PROGRAM. Exit 77 (skip) without a display.
set -u
program=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

"$program" >"$log" 2>&1
status=$?
[ $status -eq 77 ] && { cat "$log"; exit 77; }
if [ $status -ne 0 ]; then
  echo "FAIL: without --leak the canary must exit 0, it exited $status:"
  cat "$log"
  exit 1
fi

# The suite's own options, with the slow unwinder: GLib and libc have no
# frame pointers, so the fast one stops before our frame (leaks are caught
# either way; only the name in the report needs the whole stack).
ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0" "$program" --leak >"$log" 2>&1
status=$?
if [ $status -eq 0 ]; then
  echo "FAIL: a leak of ours went unreported (exit 0)"
  exit 1
fi
if ! grep -q "Direct leak" "$log" || ! grep -q "canary_leak_on_click" "$log"; then
  echo "FAIL: --leak exited $status without LeakSanitizer naming canary_leak_on_click:"
  cat "$log"
  exit 1
fi
echo "ok: clean run exit 0; --leak reported by LeakSanitizer (exit $status)"
