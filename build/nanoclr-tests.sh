#!/usr/bin/env bash
# Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
#
# Runs the nF unit tests on the real nanoCLR (the POSIX host build of nf-interpreter), so the shared tests also
# prove the device runtime's behaviour (UTF-8 strings, missing BCL pieces), not only the desktop one.
#
#   build/nanoclr-tests.sh <Dep1.dll> [<Dep2.dll> ...] <NFUnitTest.dll>
#   build/nanoclr-tests.sh --run <Dep.dll>... <Program.dll>     runs a program's Main (e.g. bench/nf), no test launcher
#
# Arguments: the project's assemblies compiled for nF (netstandard2.0 + NoStdLib against CoreLibrary 1.17.11),
# dependencies first. The test assembly must be called NFUnitTest: that is the name the launcher loads.
#
# The tools are NOT fetched or built here; they come only from the environment:
#   NANOCLR           nanoCLR host executable (targets/posix: nanoFramework.nanoCLR.test)
#   NF_MDP            MetadataProcessor console (.dll run with dotnet, or an executable)
#   NF_TESTFRAMEWORK  folder with nanoFramework.TestFramework.dll/.pe and nanoFramework.UnitTestLauncher.pe,
#                     built from the same TestFramework sources the test assembly was compiled against
# Optional: NF_CORELIB (folder with mscorlib.dll/.pe; default: CoreLibrary 1.17.11 in the NuGet cache),
#           NANOCLR_TIMEOUT (seconds, default 300), NANOCLR_LOG (keep nanoCLR's full output in this file).
#
# Exit: 0 all passed; 1 a test failed, the launcher did not finish, or nothing ran; 2 usage/conversion error;
#       3 suite skipped because a tool is missing.
set -euo pipefail

skip() { echo "nanoCLR suite skipped: $*"; exit 3; }

corelib="${NF_CORELIB:-${NUGET_PACKAGES:-$HOME/.nuget/packages}/nanoframework.corelibrary/1.17.11/lib}"
[ -n "${NANOCLR:-}" ] || skip "NANOCLR is not set"
[ -x "$NANOCLR" ] || skip "NANOCLR=$NANOCLR is not an executable"
[ -n "${NF_MDP:-}" ] || skip "NF_MDP is not set"
[ -f "$NF_MDP" ] || skip "NF_MDP=$NF_MDP does not exist"
[ -n "${NF_TESTFRAMEWORK:-}" ] || skip "NF_TESTFRAMEWORK is not set"
for f in nanoFramework.TestFramework.dll nanoFramework.TestFramework.pe nanoFramework.UnitTestLauncher.pe; do
  [ -f "$NF_TESTFRAMEWORK/$f" ] || skip "NF_TESTFRAMEWORK=$NF_TESTFRAMEWORK has no $f"
done
# The package's mscorlib.pe carries the native checksum nanoCLR checks; its .dll is MDP's reference for it.
[ -f "$corelib/mscorlib.pe" ] && [ -f "$corelib/mscorlib.dll" ] ||
  skip "no mscorlib.pe/.dll in $corelib (restore nanoFramework.CoreLibrary 1.17.11, e.g. build build/nf-check)"

run_only=
if [ "${1:-}" = --run ]; then run_only=1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [--run] <Dep.dll>... <NFUnitTest.dll | Program.dll>" >&2; exit 2; }
found_tests=
for a in "$@"; do
  [ -f "$a" ] || { echo "error: no such assembly: $a" >&2; exit 2; }
  if [ "$(basename "$a")" = NFUnitTest.dll ]; then found_tests=1; fi
done
[ -n "$found_tests$run_only" ] || { echo "error: no NFUnitTest.dll among the arguments (the launcher loads that name)" >&2; exit 2; }

case "$NF_MDP" in *.dll) mdp=(dotnet "$NF_MDP") ;; *) mdp=("$NF_MDP") ;; esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# MDP resolves references only through -loadHints (assembly name -> .dll); give it every assembly involved.
hints=(-loadHints mscorlib "$corelib/mscorlib.dll"
       -loadHints nanoFramework.TestFramework "$NF_TESTFRAMEWORK/nanoFramework.TestFramework.dll")
for a in "$@"; do hints+=(-loadHints "$(basename "$a" .dll)" "$(cd "$(dirname "$a")" && pwd)/$(basename "$a")"); done

# .dll -> .pe. MDP can exit 0 without writing the .pe (it only prints some errors), so check the file too.
pes=()
for a in "$@"; do
  pe="$work/$(basename "$a" .dll).pe"
  # (subshell: keeps bash's "Aborted" notice of a crashing MDP in the log)
  if ! ("${mdp[@]}" "${hints[@]}" -parse "$a" -compile "$pe" false; exit $?) >"$work/mdp.log" 2>&1 || [ ! -s "$pe" ]; then
    echo "error: MetadataProcessor failed on $a:" >&2
    grep -v -E '^(nanoFramework MetadataProcessor|[A-Za-z]+: |Copyright|For documentation|   at |$)| Aborted ' "$work/mdp.log" | head -n 5 >&2 || true
    exit 2
  fi
  pes+=("$pe")
done

# nanoCLR loads the .pe files given (mscorlib first), runs the one entry point (the launcher's Main), prints
# "Done." when Main returns and exits. The time limit catches a test that hangs. ("Done." comes from nanoCLR,
# also after an unhandled exception in Main, which it does not print: a launcher crash only shows as missing lines.)
log="${NANOCLR_LOG:-$work/nanoclr.log}"
rc=0
if [ -n "$run_only" ]; then
  timeout "${NANOCLR_TIMEOUT:-300}" "$NANOCLR" "$corelib/mscorlib.pe" "${pes[@]}" >"$log" 2>&1 || rc=$?
  sed -i 's/\r$//' "$log"
  # The program's own output sits between nanoCLR's "Ready." and "Done.".
  sed -n '/^Ready\.$/,/^Done\.$/p' "$log" | sed '1d;$d'
  grep -a -q '^Done\.$' "$log" || { echo "error: the program did not finish (nanoCLR exit $rc)"; tail -n 15 "$log"; exit 1; }
  exit 0
fi
timeout "${NANOCLR_TIMEOUT:-300}" "$NANOCLR" "$corelib/mscorlib.pe" "$NF_TESTFRAMEWORK/nanoFramework.UnitTestLauncher.pe" \
  "$NF_TESTFRAMEWORK/nanoFramework.TestFramework.pe" "${pes[@]}" >"$log" 2>&1 || rc=$?
sed -i 's/\r$//' "$log"   # the runtime ends its lines with CRLF

# Launcher lines: "Test passed|failed|skipped,<Namespace.Class.Method.<attribute index>>,<ticks or message>".
# [Setup]/[Cleanup] methods report through the same lines.
grep -a -E '^Test (passed|failed|skipped),' "$log" || true
passed=$(grep -a -c '^Test passed,' "$log" || true)
failed=$(grep -a -c '^Test failed,' "$log" || true)
skipped=$(grep -a -c '^Test skipped,' "$log" || true)

status=0
if [ "$rc" = 124 ]; then
  echo "error: nanoCLR did not finish within ${NANOCLR_TIMEOUT:-300} s"; status=1
elif ! grep -a -q '^Done\.$' "$log"; then
  # e.g. a missing or mismatched assembly: nanoCLR stops before running anything.
  echo "error: the launcher never finished (no 'Done.'; nanoCLR exit $rc). Last lines:"; tail -n 15 "$log"; status=1
elif [ $((passed + failed + skipped)) = 0 ]; then
  echo "error: no test ran (is the test assembly named NFUnitTest and are its classes [TestClass]?)"; status=1
fi
[ "$failed" = 0 ] || status=1

# Every case the test assembly declares must have reported: a launcher that dies after some classes, or a class whose
# methods stop early, otherwise still looks like a pass. build/nf-inspect lists, per [TestClass] method, the lines the
# launcher prints for it (one per [TestMethod], [DataRow], [Setup], [Cleanup]); a skipped [Setup] skips its class.
here="$(cd "$(dirname "$0")" && pwd)"
for a in "$@"; do [ "$(basename "$a")" = NFUnitTest.dll ] && testdll="$a"; done
if ! dotnet build "$here/nf-inspect/NfInspect.csproj" -c Release -nologo -v:q -o "$here/nf-inspect/bin/run" >"$work/inspect.log" 2>&1 ||
   ! dotnet "$here/nf-inspect/bin/run/NfInspect.dll" cases "$testdll" >"$work/expected.txt" 2>>"$work/inspect.log"; then
  echo "error: could not list the expected cases of $testdll:"; tail -n 5 "$work/inspect.log"; status=1
else
  grep -a -E '^Test (passed|failed|skipped),' "$log" | cut -d, -f2 | sed -E 's/\.[0-9]+$//' | sort | uniq -c >"$work/reported.txt"
  expected_total=0; missing_total=0
  declare -A skipped_class=()
  while read -r cls method n kind; do
    [ "$kind" = setup ] && grep -a -q -F "Test skipped,$cls.$method." "$log" && skipped_class[$cls]=1
  done <"$work/expected.txt"
  declare -A short=()
  while read -r cls method n kind; do
    expected_total=$((expected_total + n))
    [ -n "${skipped_class[$cls]:-}" ] && [ "$kind" != setup ] && continue
    got=$(awk -v name="$cls.$method" '$2 == name { c += $1 } END { print c + 0 }' "$work/reported.txt")
    if [ "$got" -lt "$n" ]; then missing_total=$((missing_total + n - got)); short[$cls]="${short[$cls]:-} $method($got/$n)"; fi
  done <"$work/expected.txt"
  for cls in "${!short[@]}"; do
    read -r -a methods <<<"${short[$cls]}"
    echo "error: $cls did not report every case: ${methods[*]:0:5}$([ "${#methods[@]}" -gt 5 ] && echo " and $(( ${#methods[@]} - 5 )) more methods")"
  done
  if [ "$missing_total" -gt 0 ]; then
    echo "error: $missing_total of $expected_total expected cases reported nothing"; status=1
  else
    echo "every class reported all its cases ($expected_total expected, $(wc -l <"$work/expected.txt") methods)"
  fi
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
