#!/usr/bin/env bash
# Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
#
# Builds a networked nanoCLR for Linux: nf-interpreter's targets/posix plus System.Net (BSD sockets)
# and TLS (mbedTLS), from checkouts you supply. Never fetches anything, never writes into the
# checkouts or into this repository: everything goes under --out.
#
#   build/nanoclr-net/build.sh --nf-interpreter PATH --mbedtls PATH --out DIR [--managed DIR] [--any-commit]
#
#   --nf-interpreter  checkout of github.com/nanoframework/nf-interpreter
#   --mbedtls         checkout of github.com/Mbed-TLS/mbedtls (the library sources; no submodules needed)
#   --out             output folder (outside this repository); the executable is DIR/build/bin/nanoFramework.nanoCLR.test
#   --managed         optional folder of managed .pe (+ .pdbx) files: each one's native checksum, and its method count
#                     against the native method table, is checked against this build
#   --any-commit      build other commits than the tested ones (checksums are still printed and checked)
#
# Tested with (see README.md):
#   nf-interpreter 2123eafbae2613709c280e36ced25dddffed3942 ("Update System.Net declaration (#3421)", 2026-06-01)
#   mbedTLS        e185d7fd85499c8ce5ca2a54f5cf8fe7dbe3f8df (tag mbedtls-3.6.5 = v3.6.5, the release nf-interpreter pins)
# Needs: cmake >= 3.24, a C/C++20 compiler (gcc 12 tested), ninja or make, git (to read the checkout commits).
set -euo pipefail

readonly TESTED_NF=2123eafbae2613709c280e36ced25dddffed3942
readonly TESTED_MBEDTLS=e185d7fd85499c8ce5ca2a54f5cf8fe7dbe3f8df

# The managed assemblies this runtime pairs with (name, native checksum), measured at TESTED_NF:
# mscorlib of nanoFramework.CoreLibrary 1.17.11, System.Net main (native 100.2.0.12), the rest as built
# by the managed side. nanoCLR binds a managed assembly to its native by name + checksum only.
readonly EXPECTED_NATIVES="mscorlib 0x1549C856
System.Net 0x6DFA71D6
nanoFramework.Runtime.Events 0x0EAB00C9
nanoFramework.Runtime.Native 0x0EAE898B
nanoFramework.System.Collections 0x40DC251F
nanoFramework.System.Text 0x8E6EB73D"

usage() { sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "error: $*" >&2; exit 1; }

nf= mbedtls= out= managed= any_commit=
while [ $# -gt 0 ]; do
  case "$1" in
    --nf-interpreter) nf="${2:?}"; shift 2 ;;
    --mbedtls) mbedtls="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    --managed) managed="${2:?}"; shift 2 ;;
    --any-commit) any_commit=1; shift ;;
    *) usage ;;
  esac
done
[ -n "$nf" ] && [ -n "$mbedtls" ] && [ -n "$out" ] || usage

here="$(cd "$(dirname "$0")" && pwd)"
nf="$(cd "$nf" && pwd)" || die "no such folder: $nf"
mbedtls="$(cd "$mbedtls" && pwd)" || die "no such folder: $mbedtls"
[ -f "$nf/targets/posix/CMakeLists.txt" ] || die "$nf has no targets/posix: not an nf-interpreter checkout (or too old)"
[ -f "$mbedtls/include/mbedtls/ssl.h" ] && [ -d "$mbedtls/library" ] || die "$mbedtls is not an mbedTLS checkout"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || true)"
if [ -n "$repo" ]; then
  case "$out/" in "$repo"/*) die "--out must be outside this repository ($repo)" ;; esac
fi

# --- the commits -----------------------------------------------------------------------------------
check_commit() { # name path tested
  local head
  head="$(git -C "$2" rev-parse HEAD 2>/dev/null || echo unknown)"
  if [ "$head" = "$3" ]; then
    echo "$1: $head (the tested commit)"
  elif [ -n "$any_commit" ]; then
    echo "$1: $head -- NOT the tested commit $3 (--any-commit)"
  else
    die "$1 is at $head; nanoclr-net was tested with $3 (check it out, or pass --any-commit)"
  fi
}
check_commit nf-interpreter "$nf" "$TESTED_NF"
check_commit mbedTLS "$mbedtls" "$TESTED_MBEDTLS"
# Local edits to what is compiled make the commit check meaningless: say so (a checkout missing some test
# data, as shallow mirrors can be, is harmless).
check_clean() { # name path paths...
  local name="$1" path="$2" changed
  shift 2
  changed="$(git -C "$path" status --porcelain -- "$@" 2>/dev/null | head -5)"
  [ -z "$changed" ] || printf 'warning: %s has local changes in what is built:\n%s\n' "$name" "$changed" >&2
}
check_clean nf-interpreter "$nf" src targets/posix
check_clean mbedTLS "$mbedtls" include library

# --- the native assemblies of this build and their checksums ---------------------------------------
# The POSIX target's table (targets/posix/nanoCLR/posix_stubs.cpp) plus System.Net (src/interop_table.cpp).
native_symbols() {
  sed -n '/g_CLR_InteropAssembliesNativeData\[\] *= *{/,/};/p' "$nf/targets/posix/nanoCLR/posix_stubs.cpp" |
    grep -o 'g_CLR_AssemblyNative_[A-Za-z0-9_]*'
  echo g_CLR_AssemblyNative_System_Net
}
# Prints "name checksum version" from a symbol's definition: its first string, first hex
# number and first {a, b, c, d} (for mscorlib the first checksum is the reflection build's, which the
# POSIX target uses).
native_file() { grep -rlE "NativeAssemblyData +$1 *=" "$nf/src" "$nf/targets/posix" | head -1; }
native_record() {
  local file
  file="$(native_file "$1")"
  [ -n "$file" ] || { echo "?$1 ? ?"; return; }
  awk -v sym="$1" '
    index($0, sym) && /NativeAssemblyData/ && /=/ { on = 1 }
    on {
      text = text " " $0
      if ($0 ~ /}[ \t]*;/) { exit }
    }
    END {
      if (match(text, /"[^"]*"/)) name = substr(text, RSTART + 1, RLENGTH - 2)
      if (match(text, /0x[0-9A-Fa-f]+/)) sum = toupper(substr(text, RSTART + 2, RLENGTH - 2)); else sum = "(macro)"
      if (match(text, /\{ *[0-9]+, *[0-9]+, *[0-9]+, *[0-9]+ *\}/)) {
        v = substr(text, RSTART + 1, RLENGTH - 2); gsub(/ /, "", v); gsub(/,/, ".", v)
      }
      printf "%s %s %s\n", name, (sum == "(macro)" ? sum : "0x" sum), v
    }' "$file"
}
natives="$out/native-checksums.txt"
{
  echo "# Native assemblies of the networked nanoCLR built by build/nanoclr-net/build.sh"
  echo "# nf-interpreter $(git -C "$nf" rev-parse HEAD 2>/dev/null || echo unknown), mbedTLS $(git -C "$mbedtls" rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "# assembly checksum native-version"
  for s in $(native_symbols); do native_record "$s"; done
} > "$natives"

# Entries of an assembly's native method table (one per method of the managed assembly, NULL where the
# method is not native), or nothing when the table is conditional (mscorlib's).
native_method_count() { # assembly name
  local sym file table
  for sym in $(native_symbols); do
    file="$(native_file "$sym")"
    [ -n "$file" ] || continue
    [ "$(native_record "$sym" | cut -d' ' -f1)" = "$1" ] || continue
    table="$(sed -n '/method_lookup\[\] *=/,/^};/p' "$file")"
    grep -q '^#if' <<< "$table" && return
    grep -cE '^[[:space:]]*(NULL|Library_[A-Za-z0-9_]+::[A-Za-z0-9_]+),' <<< "$table"
    return
  done
}

echo "native assemblies (name, checksum, native version):"
grep -v '^#' "$natives" | sed 's/^/  /'

mismatch=
while read -r name sum; do
  got="$(awk -v n="$name" '$1 == n { print $2 }' "$natives")"
  if [ "$got" != "$sum" ]; then
    echo "  MISMATCH: $name is ${got:-absent} here; the managed side it pairs with expects $sum" >&2
    mismatch=1
  fi
done <<< "$EXPECTED_NATIVES"
if [ -n "$mismatch" ] && [ -z "$any_commit" ]; then
  die "native checksums differ from the pairing nanoclr-net was tested with"
fi

# --- optional: the managed .pe files against these natives -----------------------------------------
# A .pe's header (CLR_RECORD_ASSEMBLY) holds the native checksum at byte 20; 0 means no natives.
if [ -n "$managed" ]; then
  bad=
  for pe in "$managed"/*.pe; do
    [ -f "$pe" ] || continue
    name="$(basename "$pe" .pe)"
    want="0x$(od -An -tx4 -j20 -N4 "$pe" | tr -d ' ' | tr a-f A-F)"
    have="$(awk -v n="$name" '$1 == n { print $2 }' "$natives")"
    if [ "$want" = 0x00000000 ] && [ -z "$have" ]; then
      echo "  $name.pe: no natives (ok)"
    elif [ "$want" = "$have" ]; then
      # Same checksum, but do the method indexes line up? The native table has one slot per managed method;
      # an extra compiler-generated type (C# >= 11's EmbeddedAttribute) shifts every index by one.
      slots="$(native_method_count "$name")"
      methods=
      [ -f "$managed/$name.pdbx" ] && methods="$(grep -o '<Method>' "$managed/$name.pdbx" | wc -l)"
      if [ -n "$slots" ] && [ -n "$methods" ] && [ "$slots" != "$methods" ]; then
        echo "  $name.pe: $want matches, but it has $methods methods where the native table has $slots slots" >&2; bad=1
      elif [ -n "$slots" ] && [ -n "$methods" ]; then
        echo "  $name.pe: $want matches; $methods methods = $slots native table slots"
      else
        echo "  $name.pe: $want matches (method count not checked: no .pdbx or conditional native table)"
      fi
    else
      echo "  $name.pe: needs ${want}, this build has ${have:-none}" >&2; bad=1
    fi
  done
  [ -z "$bad" ] || die "managed assemblies in $managed do not match this build's natives"
fi

# --- build -------------------------------------------------------------------------------------------
generator=(-G "Unix Makefiles")
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S "$here" -B "$out/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DNF_INTERPRETER="$nf" -DMBEDTLS_SOURCE="$mbedtls" >"$out/configure.log" 2>&1 ||
  { tail -20 "$out/configure.log" >&2; die "configure failed (log: $out/configure.log)"; }
start=$(date +%s)
cmake --build "$out/build" -j "$(nproc)" >"$out/build.log" 2>&1 ||
  { grep -E 'error|undefined' "$out/build.log" | head -20 >&2; die "build failed (log: $out/build.log)"; }
exe="$out/build/bin/nanoFramework.nanoCLR.test"
[ -x "$exe" ] || die "no executable at $exe"
echo "built in $(( $(date +%s) - start )) s: $exe"
echo "native checksums: $natives"
