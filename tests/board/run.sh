#!/usr/bin/env bash
# Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
#
# The board suite: the real Board/ transports (M2Mqtt, System.Net + mbedTLS) on a networked nanoCLR, end to end
# against the emulator over TLS on 127.0.0.1 (tests/board/harness does the work; docs/board.md lists the cases).
#
# Tools come only from the environment (nothing is fetched or built here; build/nanoclr-net/ builds them):
#   NANOCLR_NET   the networked nanoCLR executable
#   NF_MDP        MetadataProcessor console (.dll)
#   NF_MANAGED    folder with System.Net, M2Mqtt(.Core), ... as .dll + .pe (build/nanoclr-net/build-managed.sh)
# Optional: NF_CORELIB (mscorlib.dll/.pe; default CoreLibrary 1.17.11 in the NuGet cache), BOARD_MESSAGES (1000),
#           BOARD_LOG (keep the emulator + device log in this file).
# Exit: 0 all passed; 1 a case failed; 3 suite skipped (a tool is missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() { echo "board suite skipped: $*"; exit 3; }
[ -n "${NANOCLR_NET:-}" ] || skip "NANOCLR_NET is not set"
[ -x "$NANOCLR_NET" ] || skip "NANOCLR_NET=$NANOCLR_NET is not an executable"
[ -n "${NF_MDP:-}" ] && [ -f "$NF_MDP" ] || skip "NF_MDP is not set or missing"
[ -n "${NF_MANAGED:-}" ] || skip "NF_MANAGED is not set"
for a in System.Net nanoFramework.M2Mqtt nanoFramework.M2Mqtt.Core nanoFramework.Runtime.Events nanoFramework.Runtime.Native \
         nanoFramework.System.Collections nanoFramework.System.Text System.Threading System.IO.Streams; do
  [ -f "$NF_MANAGED/$a.dll" ] && [ -f "$NF_MANAGED/$a.pe" ] || skip "NF_MANAGED=$NF_MANAGED has no $a.dll/.pe"
done
corelib="${NF_CORELIB:-${NUGET_PACKAGES:-$HOME/.nuget/packages}/nanoframework.corelibrary/1.17.11/lib}"
[ -f "$corelib/mscorlib.pe" ] || dotnet restore build/nf-check/nanoFramework.Iotc.NfCheck.csproj -nologo -v:q >/dev/null
[ -f "$corelib/mscorlib.pe" ] || skip "no CoreLibrary 1.17.11 in $corelib"

dotnet build tests/board/harness/BoardHarness.csproj -c Release -nologo -v:q -o tests/board/harness/bin/run >/dev/null
args=(--nanoclr "$NANOCLR_NET" --mdp "$NF_MDP" --managed "$NF_MANAGED" --corelib "$corelib" --repo "$PWD"
      --messages "${BOARD_MESSAGES:-1000}")
[ -z "${BOARD_LOG:-}" ] || args+=(--log "$BOARD_LOG")
# Debugging: BOARD_SDK_LOG=1 puts the SDK's log lines into BOARD_LOG; BOARD_ONLY=<device case> runs one device case.
[ -z "${BOARD_SDK_LOG:-}" ] || args+=(--sdk-log "$BOARD_SDK_LOG")
[ -z "${BOARD_ONLY:-}" ] || args+=(--only "$BOARD_ONLY")
exec dotnet tests/board/harness/bin/run/BoardHarness.dll "${args[@]}"
