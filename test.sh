#!/usr/bin/env bash
# Runs every check this repository has on Linux and ends with one line "N passed, M failed, K skipped".
#   1. nF compile checks: the portable core, and the shared tests with it, against nanoFramework.CoreLibrary (the
#      device's mscorlib) only; the nfproj file lists against the sources (the board build compiles only those);
#      each assembly's MetadataProcessor string table (10% headroom); nf-lint, the device hazards .NET cannot show
#      (s[i]/s.Length in loops, U+0000, lone surrogates); with user-supplied tools, every shared test on nanoCLR.
#   2. The shared nanoFramework-dialect tests (+ host-only and integration tests) under xunit on .NET 10.
#   3. The IoT Central emulator's own tests.
#   4. Conformance: Microsoft's official Node.js device SDK against the emulator (tools/IotcEmulator.Conformance;
#      needs Node.js 20 + npm; `npm ci` runs when node_modules is missing).
#   5. The emulator's web dashboard in a real (headless) browser.
#   6. The end-to-end benchmark in smoke mode (bench --only e2e --smoke, BENCHMARKS.md): every side (SDK, raw MQTTnet,
#      the Node.js SDK when Node.js is there) sends a few hundred messages and the emulator must have stored them all;
#      no timing assertion. Debug build, so it reuses what the suites above built.
set -uo pipefail
cd "$(dirname "$0")"

passed=0; failed=0; skipped=0
log=$(mktemp -d)

suite() { # name, command...
  local name=$1; shift
  echo "=== $name"
  if "$@" >"$log/$name.txt" 2>&1; then rc=0; else rc=$?; fi
  # dotnet test's summary: "Failed!  - Failed:     1, Passed:    10, Skipped:     0, Total: ..."
  local line plain
  line=$(grep -E "Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$log/$name.txt" | tail -1)
  # build/nanoclr-tests.sh's summary: "N passed, M failed, K skipped"; exit 3 means its tools were not supplied.
  plain=$(grep -E "^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$" "$log/$name.txt" |
    awk '{p += $1; f += $3; s += $5} END {if (NR) print p " passed, " f " failed, " s " skipped"}')
  if [ "$rc" -eq 3 ] && grep -q "suite skipped" "$log/$name.txt"; then
    skipped=$((skipped + 1)); grep "suite skipped" "$log/$name.txt"
  elif [ -n "$plain" ]; then
    local p f s
    read -r p _ f _ s _ <<<"${plain//,/}"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    grep -E "^Test failed,|^error" "$log/$name.txt" | head -40
    echo "$name: $plain"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "$name: exited $rc"; tail -20 "$log/$name.txt"; fi
  elif [ -n "$line" ]; then
    local f p s
    f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    grep -E "^\s+Failed |Error Message|Assert\.|\[FAIL\]" "$log/$name.txt" | head -60
    echo "$line"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "$name: exited $rc"; tail -30 "$log/$name.txt"; fi
  elif grep -qE "^# pass [0-9]+" "$log/$name.txt"; then
    # node --test's summary: "# pass 10", "# fail 0", "# cancelled 0", "# skipped 0"
    local p f c s
    p=$(grep -E "^# pass [0-9]+" "$log/$name.txt" | tail -1 | awk '{print $3}')
    f=$(grep -E "^# fail [0-9]+" "$log/$name.txt" | tail -1 | awk '{print $3}')
    c=$(grep -E "^# cancelled [0-9]+" "$log/$name.txt" | tail -1 | awk '{print $3}')
    s=$(grep -E "^# skipped [0-9]+" "$log/$name.txt" | tail -1 | awk '{print $3}')
    f=$(( ${f:-0} + ${c:-0} ))
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
    grep -E "^not ok|^ +error:" "$log/$name.txt" | head -40
    echo "node --test: $p passed, $f failed, ${s:-0} skipped"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "$name: exited $rc"; tail -30 "$log/$name.txt"; fi
  elif [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "$name: ok"
  else
    failed=$((failed + 1)); echo "$name: FAILED (exit $rc)"
    grep -E "error|Error" "$log/$name.txt" | sort -u | head -40
    tail -20 "$log/$name.txt"
  fi
}

nanoclr() { # every shared test on the real nanoCLR, built against the real TestFramework (tools: docs/board.md)
  [ -n "${NANOCLR:-}" ] && [ -n "${NF_MDP:-}" ] && [ -n "${NF_TESTFRAMEWORK:-}" ] ||
    { echo "nanoCLR suite skipped: set NANOCLR, NF_MDP and NF_TESTFRAMEWORK to run the shared tests on the device runtime"; return 3; }
  local project out status=0
  for project in nf-check-tests nf-check-pump-tests nf-check-recovery-tests; do
    out="build/$project/bin/nanoclr"
    dotnet build "build/$project/NFUnitTest.NfCheck.csproj" -nologo -v q -o "$out" \
      -p:NfTestFramework="$NF_TESTFRAMEWORK/nanoFramework.TestFramework.dll" || return 2
    bash build/nanoclr-tests.sh "$out/nanoFramework.Iotc.dll" "$out/NFUnitTest.dll" || status=$?
  done
  return $status
}

suite nf-compile-check dotnet build build/nf-check/nanoFramework.Iotc.NfCheck.csproj -nologo -v q
suite nf-compile-check-tests dotnet build build/nf-check-tests/NFUnitTest.NfCheck.csproj -nologo -v q
suite nf-compile-check-pump-tests dotnet build build/nf-check-pump-tests/NFUnitTest.NfCheck.csproj -nologo -v q
suite nf-compile-check-recovery-tests dotnet build build/nf-check-recovery-tests/NFUnitTest.NfCheck.csproj -nologo -v q
# Each nF assembly's string table as MetadataProcessor will build it; fails under 10% headroom (nanoCLR: 64,675 bytes).
suite nf-string-table dotnet run --project build/nf-string-table -- build/nf-check/bin/Debug/netstandard2.0/nanoFramework.Iotc.dll \
  build/nf-check-tests/bin/Debug/netstandard2.0/NFUnitTest.dll build/nf-check-pump-tests/bin/Debug/netstandard2.0/NFUnitTest.dll \
  build/nf-check-recovery-tests/bin/Debug/netstandard2.0/NFUnitTest.dll
suite nfproj-file-lists bash build/check-nfproj.sh
suite nf-lint-self-test dotnet run --project build/nf-lint -- --self-test
suite nf-lint dotnet run --project build/nf-lint -- nanoFramework.Iotc
suite nanoclr-tests nanoclr
# The Board/ transports on the networked nanoCLR against the emulator; skipped unless NANOCLR_NET, NF_MDP and NF_MANAGED
# are supplied (build/nanoclr-net/ builds them; see docs/board.md).
suite board-suite bash tests/board/run.sh
suite sdk-tests dotnet test desktop/nanoFramework.Iotc.Tests.Host/nanoFramework.Iotc.Tests.Host.csproj -nologo
if compgen -G "tools/IotcEmulator.Tests/*.csproj" >/dev/null; then
  suite emulator-tests dotnet test tools/IotcEmulator.Tests -nologo
fi
# The dashboard in headless Chromium (Debian's package; .ci/run installs it). The screenshots for docs/ are made on
# request only: IOTC_SCREENSHOTS=docs dotnet test tools/IotcEmulator.Dashboard.Tests --filter Category=Screenshots
suite dashboard-tests dotnet test tools/IotcEmulator.Dashboard.Tests -nologo --filter "Category!=Screenshots"

conformance() ( # a subshell: it changes directory
  cd tools/IotcEmulator.Conformance || return 1
  if [ ! -d node_modules ]; then npm ci --no-audit --no-fund || return 1; fi
  dotnet build ../IotcEmulator -nologo -v q || return 1
  npm test
)
if [ -f tools/IotcEmulator.Conformance/package.json ]; then
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    suite node-sdk-conformance conformance
  else
    echo "=== node-sdk-conformance: skipped (Node.js 20 and npm are needed)"; skipped=$((skipped + 1))
  fi
fi

suite e2e-bench-smoke dotnet run --project bench -- --only e2e --smoke

rm -rf "$log"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
