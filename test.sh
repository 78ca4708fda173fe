#!/usr/bin/env bash
# Runs every check this repository has on Linux and ends with one line "N passed, M failed, K skipped".
#   1. nF compile checks: the portable core, and the shared tests with it, against nanoFramework.CoreLibrary (the
#      device's mscorlib) only; and the nfproj file lists against the sources (the board build compiles only those).
#   2. The shared nanoFramework-dialect tests (+ host-only and integration tests) under xunit on .NET 10.
#   3. The IoT Central emulator's own tests.
#   4. The emulator's web dashboard in a real (headless) browser.
set -uo pipefail
cd "$(dirname "$0")"

passed=0; failed=0; skipped=0
log=$(mktemp -d)

suite() { # name, command...
  local name=$1; shift
  echo "=== $name"
  if "$@" >"$log/$name.txt" 2>&1; then rc=0; else rc=$?; fi
  # dotnet test's summary: "Failed!  - Failed:     1, Passed:    10, Skipped:     0, Total: ..."
  local line
  line=$(grep -E "Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$log/$name.txt" | tail -1)
  if [ -n "$line" ]; then
    local f p s
    f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    grep -E "^\s+Failed |Error Message|Assert\.|\[FAIL\]" "$log/$name.txt" | head -60
    echo "$line"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "$name: exited $rc"; tail -30 "$log/$name.txt"; fi
  elif [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "$name: ok"
  else
    failed=$((failed + 1)); echo "$name: FAILED (exit $rc)"
    grep -E "error|Error" "$log/$name.txt" | sort -u | head -40
    tail -20 "$log/$name.txt"
  fi
}

suite nf-compile-check dotnet build build/nf-check/nanoFramework.Iotc.NfCheck.csproj -nologo -v q
suite nf-compile-check-tests dotnet build build/nf-check-tests/NFUnitTest.NfCheck.csproj -nologo -v q
suite nfproj-file-lists bash build/check-nfproj.sh
suite sdk-tests dotnet test desktop/nanoFramework.Iotc.Tests.Host/nanoFramework.Iotc.Tests.Host.csproj -nologo
if compgen -G "tools/IotcEmulator.Tests/*.csproj" >/dev/null; then
  suite emulator-tests dotnet test tools/IotcEmulator.Tests -nologo
fi
# The dashboard in headless Chromium (Debian's package; .ci/run installs it). The screenshots for docs/ are made on
# request only: IOTC_SCREENSHOTS=docs dotnet test tools/IotcEmulator.Dashboard.Tests --filter Category=Screenshots
suite dashboard-tests dotnet test tools/IotcEmulator.Dashboard.Tests -nologo --filter "Category!=Screenshots"

rm -rf "$log"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
