#!/usr/bin/env bash
# Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
#
# Builds the managed side of a networked nanoCLR on Linux, from checkouts the user supplies (nothing is fetched,
# nothing built is kept in this repository):
#   <out>/mdp            MetadataProcessor console (net10.0) from nanoframework/metadata-processor
#   <out>/testframework  nanoFramework.TestFramework + UnitTestLauncher (.dll/.pe) from nanoframework/nanoFramework.TestFramework
#   <out>/managed        System.Net, M2Mqtt(.Core), System.Collections, Runtime.Events, System.Text, System.Threading,
#                        System.IO.Streams, Runtime.Native as .dll/.pe/.pdbx, all against nanoFramework.CoreLibrary 1.17.11
#
#   build/nanoclr-net/build-managed.sh --src <folder with the checkouts> --out <folder> \
#       [--nf-interpreter <nf-interpreter checkout>] [--native-checksums <file>] [--any-commit]
#
# --src holds one checkout per repository, named as on GitHub: metadata-processor, nanoFramework.TestFramework,
# System.Net, nanoFramework.m2mqtt, System.Collections, nanoFramework.Runtime.Events, nanoFramework.System.Text,
# System.Threading, System.IO.Streams, nanoFramework.Runtime.Native (each at the commit listed below; --any-commit
# builds whatever is checked out and relies on the checksum checks alone).
#
# nanoCLR binds a managed assembly to its native half by name + checksum only, and then calls native method i through
# entry i of the native method_lookup table. So every assembly with natives is checked twice:
#   1. its .pe's native checksum equals the one this script expects AND the one the native side has
#      (--nf-interpreter: the g_CLR_AssemblyNative_* records in its sources; --native-checksums: lines naming the
#      "<assembly> 0x<checksum> ..." lines, e.g. the native-checksums.txt the networked nanoCLR build writes);
#   2. with --nf-interpreter, each native table entry names the managed method of the same index (build/nf-inspect).
# C# >= 11 would add Microsoft.CodeAnalysis.EmbeddedAttribute as the first type and shift every index, so the
# libraries are compiled at C# 9 (the nF project system's default).
#
# Exit: 0 built and checked; 1 a build or a check failed; 2 usage.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"

src= out= nfi= checksums= any_commit=
while [ $# -gt 0 ]; do
  case "$1" in
    --src) src="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --nf-interpreter) nfi="$2"; shift 2 ;;
    --native-checksums) checksums="$2"; shift 2 ;;
    --any-commit) any_commit=1; shift ;;
    *) echo "usage: $0 --src DIR --out DIR [--nf-interpreter DIR] [--native-checksums FILE] [--any-commit]" >&2; exit 2 ;;
  esac
done
[ -n "$src" ] && [ -n "$out" ] || { echo "usage: $0 --src DIR --out DIR [--nf-interpreter DIR] [--native-checksums FILE] [--any-commit]" >&2; exit 2; }
src="$(cd "$src" && pwd)"; mkdir -p "$out"; out="$(cd "$out" && pwd)"

# The pair this script expects. Managed side: repository, commit (tag), nfproj, assembly version stamped.
# Native side: the checksum of nanoFramework/nf-interpreter's native for that assembly (0 = no natives), as found at
# nf-interpreter 2123eafb (and 112fac57; System.Net 100.2.0.12). At nf-interpreter a3e8139 System.Net's native is
# 100.2.0.14 (0x8EFB9944), for which no managed source is public: that runtime cannot load this System.Net.
#   name                              repository                    commit   version  checksum   nfproj
expected="
nanoFramework.Runtime.Events        nanoFramework.Runtime.Events  6dd93c1  1.11.37  0x0EAB00C9 nanoFramework.Runtime.Events/nanoFramework.Runtime.Events.nfproj
nanoFramework.System.Collections    System.Collections            c334f95  1.5.75   0x40DC251F nanoFramework.System.Collections/nanoFramework.System.Collections.nfproj
nanoFramework.System.Text           nanoFramework.System.Text     296d843  1.3.1    0x8E6EB73D nanoFramework.System.Text/nanoFramework.System.Text.nfproj
System.Threading                    System.Threading              866134e  1.1.52   0x00000000 nanoFramework.System.Threading/nanoFramework.System.Threading.nfproj
nanoFramework.Runtime.Native        nanoFramework.Runtime.Native  e70ef69  1.7.11   0x0EAE898B nanoFramework.Runtime.Native/nanoFramework.Runtime.Native.nfproj
System.IO.Streams                   System.IO.Streams             e6d0ae8  1.1.96   0x00000000 System.IO.Streams/System.IO.Streams.nfproj
System.Net                          System.Net                    713b02c  1.11.54  0x6DFA71D6 nanoFramework.System.Net/System.Net.nfproj
nanoFramework.M2Mqtt.Core           nanoFramework.m2mqtt          8208787  5.1.220  0x00000000 nanoFramework.M2Mqtt.Core/nanoFramework.M2Mqtt.Core.nfproj
nanoFramework.M2Mqtt                nanoFramework.m2mqtt          8208787  5.1.220  0x00000000 M2Mqtt/nanoFramework.M2Mqtt.nfproj
"
# Where each native lives in nf-interpreter (for the index check).
native_cpp() {
  case "$1" in
    System.Net) echo src/DeviceInterfaces/System.Net/sys_net_native.cpp ;;
    nanoFramework.Runtime.Events) echo src/nanoFramework.Runtime.Events/nf_rt_events_native.cpp ;;
    nanoFramework.System.Text) echo src/nanoFramework.System.Text/nf_system_text.cpp ;;
    nanoFramework.System.Collections) echo src/nanoFramework.System.Collections/nf_system_collections.cpp ;;
    nanoFramework.Runtime.Native) echo src/nanoFramework.Runtime.Native/nf_rt_native.cpp ;;
  esac
}
mdp_commit=4541b46 tf_commit=d4fa55e

echo "Expected pair: managed libraries at the commits below <-> nanoCLR natives of nf-interpreter 2123eafb/112fac57"
echo "(System.Net native 100.2.0.12, checksum 0x6DFA71D6); CoreLibrary 1.17.11 (mscorlib.pe from NuGet)."

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check_commit() { # repo wanted
  local have; have="$(git -C "$src/$1" rev-parse --short=7 HEAD 2>/dev/null || echo none)"
  if [ "$have" != "$2" ]; then
    if [ -n "$any_commit" ]; then echo "note: $1 is at $have, expected $2 (--any-commit)"
    else echo "error: $src/$1 is at $have; this script expects $2 (check it out, or pass --any-commit)" >&2; exit 1; fi
  fi
}

# CoreLibrary 1.17.11 from NuGet (its mscorlib.pe is the one nanoCLR loads; the .dll is what everything compiles against).
dotnet restore "$repo_root/build/nf-check/nanoFramework.Iotc.NfCheck.csproj" -nologo -v:q >/dev/null
corelib="${NUGET_PACKAGES:-$HOME/.nuget/packages}/nanoframework.corelibrary/1.17.11/lib"
[ -f "$corelib/mscorlib.pe" ] || { echo "error: no CoreLibrary 1.17.11 in $corelib" >&2; exit 1; }

# 1. MetadataProcessor, checked by reproducing CoreLibrary's own mscorlib.pe byte for byte.
check_commit metadata-processor "$mdp_commit"
dotnet build "$here/mdp/MetadataProcessor.csproj" -c Release -nologo -v:q -p:MdpSource="$src/metadata-processor" \
  -p:BaseIntermediateOutputPath="$out/obj/mdp/" -o "$out/mdp" >"$out/mdp-build.log" 2>&1 ||
  { grep -E 'error' "$out/mdp-build.log" | head; echo "error: MetadataProcessor did not build" >&2; exit 1; }
mdp="$out/mdp/nanoFramework.Tools.MetadataProcessor.dll"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
dotnet "$mdp" -parse "$corelib/mscorlib.dll" -compile "$tmp/mscorlib.pe" true >/dev/null 2>&1 || true
if cmp -s "$tmp/mscorlib.pe" "$corelib/mscorlib.pe"; then echo "ok: MetadataProcessor reproduces CoreLibrary 1.17.11's mscorlib.pe byte for byte"
else fail "MetadataProcessor's mscorlib.pe differs from CoreLibrary 1.17.11's"; fi

# 2. TestFramework + launcher.
check_commit nanoFramework.TestFramework "$tf_commit"
tf="$src/nanoFramework.TestFramework/source"
nfbuild=(python3 "$here/nfbuild.py" build)
mdpopts=(--mdp "$mdp" --corelib "$corelib")
"${nfbuild[@]}" "$tf/TestFramework/nanoFramework.TestFramework.nfproj" "$out/testframework" "${mdpopts[@]}" --version 3.0.77 >/dev/null
"${nfbuild[@]}" "$tf/UnitTestLauncher/nanoFramework.UnitTestLauncher.nfproj" "$out/testframework" "${mdpopts[@]}" --version 3.0.77 \
  --ref "$out/testframework/nanoFramework.TestFramework.dll" >/dev/null
echo "ok: TestFramework + UnitTestLauncher -> $out/testframework"

# 3. The libraries, dependencies first (each references every one built before it).
dotnet build "$repo_root/build/nf-inspect/NfInspect.csproj" -c Release -nologo -v:q -o "$out/obj/nf-inspect/bin" >/dev/null
inspect=(dotnet "$out/obj/nf-inspect/bin/NfInspect.dll")
refs=()
while read -r name repo commit version checksum nfproj; do
  [ -n "$name" ] || continue
  check_commit "$repo" "$commit"
  "${nfbuild[@]}" "$src/$repo/$nfproj" "$out/managed" "${mdpopts[@]}" --version "$version" "${refs[@]}" >/dev/null
  refs+=(--ref "$out/managed/$name.dll")
  read -r _ have_version have <<<"$(python3 "$here/nfbuild.py" header "$out/managed/$name.pe")"
  line="$name $have_version: checksum $have"
  [ "$have" = "$checksum" ] || { fail "$line, expected $checksum"; continue; }
  if [ "$checksum" = 0x00000000 ]; then echo "ok: $line (no natives)"; continue; fi
  if [ -n "$nfi" ]; then
    cpp="$nfi/$(native_cpp "$name")"
    native="$(grep -A3 -E "\"$name\"" "$cpp" | grep -o -m1 -E '0x[0-9A-Fa-f]{8}' || true)"
    [ "${native^^}" = "${have^^}" ] || [ "${native,,}" = "${have,,}" ] || { fail "$line, nf-interpreter's native has ${native:-none} ($cpp)"; continue; }
    "${inspect[@]}" natives "$out/managed/$name.dll" "$out/managed/$name.pdbx" "$cpp" >"$tmp/idx" || { cat "$tmp/idx"; fail "$name: native indexes"; continue; }
    line="$line = nf-interpreter's native; $(sed 's/^[^:]*: //' "$tmp/idx")"
  fi
  if [ -n "$checksums" ]; then
    native="$(awk -v n="$name" '$1 == n { print $2; exit }' "$checksums" | grep -o -E '0x[0-9A-Fa-f]{8}' || true)"
    [ "${native,,}" = "${have,,}" ] || { fail "$line, $checksums says ${native:-nothing}"; continue; }
    line="$line = $(basename "$checksums")"
  fi
  echo "ok: $line"
done <<<"$expected"
rm -rf "$out/managed/obj" "$out/testframework/obj"

[ "$failures" = 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "done: NF_MDP=$mdp NF_TESTFRAMEWORK=$out/testframework NF_MANAGED=$out/managed"
