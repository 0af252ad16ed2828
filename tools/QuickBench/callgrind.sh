#!/usr/bin/env bash
# Instructions per operation of one QuickBench mode under callgrind (docs/benchmarks.md, "Instruction counts"): the
# difference of the program totals of two runs (small and large operation counts) divided by their difference, so
# start-up and JIT drop out. The machine's load does not move the figure.
#   tools/QuickBench/callgrind.sh <mode> [small] [large] [EmuRoot]     e.g. callgrind.sh pingpong-frame 50000 250000
set -euo pipefail
mode=${1:?mode}; small=${2:-50000}; large=${3:-250000}; root=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
dotnet build -c Release "$here/QuickBench.csproj" -o "$out/bin" ${root:+-p:EmuRoot="$root"} >/dev/null
total() {
  DOTNET_TieredCompilation=0 DOTNET_TieredPGO=0 valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" \
    dotnet "$out/bin/QuickBench.dll" "$mode" "$1" 1 >/dev/null 2>&1
  callgrind_annotate "$out/cg.$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
a=$(total "$small"); b=$(total "$large")
echo "$mode: $(( (b - a) / (large - small) )) instructions per operation ($a at $small, $b at $large)"
rm -rf "$out"
