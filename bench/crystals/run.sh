#!/usr/bin/env bash
# Throughput of the crystal-layer CLI commands over the MP-20 val split (9047 crystals), one table row each.
# Wall time includes process start, reading the .jsonl.gz and writing the output (the CLI itself logs its
# in-loop rate). Usage: bench/crystals/run.sh [DATA] (default ../shared/data/mp20/mp20_val.jsonl.gz).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/mp20/mp20_val.jsonl.gz}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
dotnet build -c Release src/CrystalActors.Cli -v quiet -nologo >/dev/null
CLI=src/CrystalActors.Cli/bin/Release/net10.0/crystal-actors
N=$(zcat -f "$DATA" | grep -c . || true)

run() { # name, args...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$CLI" structure "$@" --data "$DATA" --out "$OUT/$name.out" 2>"$OUT/$name.log" || true
  end=$(date +%s.%N)
  awk -v n="$N" -v s="$start" -v e="$end" -v name="$name" 'BEGIN { t = e - s; printf "| %-22s | %8d | %8.2f | %10.0f |\n", name, n, t, n / t }'
}

echo "| command                | crystals |   wall s | crystals/s |"
echo "|------------------------|----------|----------|------------|"
run validity validity
run radius-5A neighbors --strategy radius --cutoff 5
run radius-4A neighbors --strategy radius --cutoff 4
run crystalnn neighbors --strategy crystalnn
run spacegroup spacegroup
