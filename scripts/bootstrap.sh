#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run as root, or with sudo available):
# apt packages, the native libtorch bridge, NuGet restore. With everything present it returns in
# a few seconds. Both README commands (./run-node.sh, ./test.sh) run it first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
say() { printf '[bootstrap] %s\n' "$*" >&2; }

# --- apt packages --------------------------------------------------------------------------
# libtorch-dev: the neural-network runtime; libopenblas0-pthread: switches libblas.so.3 to
# OpenBLAS (about 20x faster matmuls than the reference BLAS libtorch-dev pulls in);
# quantum-espresso + openmpi-bin: pw.x (the cluster runtime is Akka.NET, a NuGet package: no broker);
# libsymspg-dev: spglib for space groups; postgresql: the multi-node journal (scripts/postgres.sh runs a private server).
PACKAGES=(libtorch-dev libopenblas0-pthread cmake g++ make quantum-espresso openmpi-bin libsymspg-dev postgresql)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET 10 SDK is required (dotnet not on PATH): see https://learn.microsoft.com/dotnet/core/install/linux-debian"
  exit 1
fi

# --- native bridge -------------------------------------------------------------------------
# Rebuilt when missing or older than any of its sources. TORCH_PREFIX selects another libtorch,
# e.g. the CUDA one inside a PyTorch wheel on GPU nodes.
LIB=native/build/libcrystal_torch.so
if [ ! -f "$LIB" ] || [ -n "$(find native/src native/include native/CMakeLists.txt -newer "$LIB" -print -quit)" ]; then
  say "building the libtorch bridge (native/)"
  prefix=${TORCH_PREFIX:-/usr/lib/x86_64-linux-gnu/cmake/Torch}
  cmake -S native -B native/build -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build native/build -j "$(nproc)" >/dev/null
fi

# --- NuGet ---------------------------------------------------------------------------------
STAMP=native/build/.restore-stamp
if [ ! -f "$STAMP" ] || [ -n "$(find . -name '*.csproj' -newer "$STAMP" -print -quit)" ] \
   || [ Directory.Packages.props -nt "$STAMP" ] || [ Directory.Build.props -nt "$STAMP" ]; then
  say "restoring NuGet packages"
  dotnet restore CrystalActors.sln --verbosity quiet
  touch "$STAMP"
fi
say "ready"
