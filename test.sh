#!/usr/bin/env bash
# Sets up everything (scripts/bootstrap.sh) and runs every test of the solution.
# Tests read ../shared (or $CRYSTAL_ACTORS_SHARED); see README.md for how to get it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/bootstrap.sh
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
log=$(mktemp)
set +e
dotnet test CrystalActors.sln -c Release --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test projects.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
