#!/usr/bin/env bash
# The nanoFramework project system builds only the files an .nfproj lists (no wildcards), so a source file added
# on Linux and forgotten in the nfproj would silently be missing from the board build. This compares both ways.
# Entries outside the project folder (..\, linked shared test helpers) only have to exist.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for proj in nanoFramework.Iotc/nanoFramework.Iotc.nfproj nanoFramework.Iotc.Tests/nanoFramework.Iotc.Tests.nfproj \
            nanoFramework.Iotc.Pump.Tests/nanoFramework.Iotc.Pump.Tests.nfproj \
            nanoFramework.Iotc.Recovery.Tests/nanoFramework.Iotc.Recovery.Tests.nfproj samples/Esp32Sample/Esp32Sample.nfproj \
            samples/Esp32DeepSleepSample/Esp32DeepSleepSample.nfproj; do
  dir=$(dirname "$proj")
  all=$(grep -oE '<Compile Include="[^"]+"' "$proj" | sed -E 's/<Compile Include="([^"]+)"/\1/; s#\\#/#g' | sort)
  for outside in $(grep '^\.\./' <<<"$all"); do
    [ -f "$dir/$outside" ] || { echo "$proj links a file that does not exist: $outside"; status=1; }
  done
  listed=$(grep -v '^\.\./' <<<"$all")
  onDisk=$(cd "$dir" && find . -name '*.cs' -not -path './bin/*' -not -path './obj/*' | sed 's#^\./##' | sort)
  missing=$(comm -13 <(echo "$listed") <(echo "$onDisk"))
  stale=$(comm -23 <(echo "$listed") <(echo "$onDisk"))
  if [ -n "$missing" ]; then echo "$proj does not list: $(echo $missing)"; status=1; fi
  if [ -n "$stale" ]; then echo "$proj lists files that do not exist: $(echo $stale)"; status=1; fi
done
[ $status -eq 0 ] && echo "nfproj file lists match the sources"
exit $status
