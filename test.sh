#!/usr/bin/env bash
# Sets up everything (scripts/bootstrap.sh) and runs every test of the solution.
# Tests read ../shared (or $CRYSTAL_ACTORS_SHARED); see README.md for how to get it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/bootstrap.sh
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
# One compute thread per test process, and one test project at a time: xunit already runs test classes in
# parallel, and on a 2-core machine libtorch/OpenBLAS pools of several test processes at once oversubscribed the
# cores so badly that a 24-second project once ran for over ten minutes.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
log=$(mktemp)
results=$(mktemp -d)
set +e
# The whole solution first: the multi-process tests start the CLI itself as cluster nodes, and `dotnet test` alone
# builds a project only when its turn comes, which left the CLI unbuilt (and those tests skipped) on a fresh clone.
dotnet build CrystalActors.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
  dotnet test CrystalActors.sln -c Release --no-build --nologo --logger "trx" --results-directory "$results" "$@" -- RunConfiguration.MaxCpuCount=1 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
set -e
# Each skipped test with its reason (e.g. the CUDA tests on a CPU-only machine), from the TRX files.
cat "$results"/*.trx 2>/dev/null | awk '
  /<UnitTestResult / && /outcome="NotExecuted"/ { match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); skip = 1 }
  skip && /<Message>/ { sub(/.*<Message>/, ""); sub(/<\/Message>.*/, ""); print "skipped: " name ": " $0; skip = 0 }'
rm -rf "$results"
# One closing line over all test projects.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
