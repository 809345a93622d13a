#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run as root, or with sudo available):
# apt packages, the native libtorch bridge, NuGet restore. With everything present it returns in
# a few seconds. Both README commands (./run-node.sh, ./test.sh) run it first.
#
#   scripts/bootstrap.sh             # Debian: installs what is missing with apt
#   scripts/bootstrap.sh --no-apt    # HPC, no root: uses what the machine has (environment modules, TORCH_PREFIX,
#                                    # pw.x on PATH) and prints one line per missing prerequisite with how to get it.
#                                    # Chosen by itself when not root and sudo is not available.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
say() { printf '[bootstrap] %s\n' "$*" >&2; }
NO_APT=0
[[ ${1:-} == --no-apt ]] && NO_APT=1
if [[ $NO_APT == 0 && $(id -u) -ne 0 ]] && ! sudo -n true 2> /dev/null; then NO_APT=1; say "not root and no sudo: checking prerequisites instead of installing (--no-apt)"; fi

if [[ $NO_APT == 1 ]]; then
  missing=0
  need() { say "missing: $1 -- $2"; missing=$((missing + 1)); }
  command -v dotnet > /dev/null || need "dotnet (.NET 10 SDK)" "module load dotnet, or install it under \$HOME with Microsoft's dotnet-install.sh and add it to PATH"
  command -v cmake > /dev/null || need cmake "module load cmake (3.18 or newer)"
  command -v g++ > /dev/null || need "g++ (C++17)" "module load gcc"
  prefix=${TORCH_PREFIX:-/usr/lib/x86_64-linux-gnu/cmake/Torch}
  [[ -f $prefix/TorchConfig.cmake ]] || need "libtorch (TorchConfig.cmake under ${prefix})" "set TORCH_PREFIX to a libtorch's share/cmake/Torch, e.g. \$(python -c 'import torch; print(torch.utils.cmake_prefix_path)')/Torch"
  command -v "${CRYSTAL_ACTORS_PW:-pw.x}" > /dev/null || need "pw.x (${CRYSTAL_ACTORS_PW:-pw.x} on PATH)" "module load quantum-espresso (6.7 or newer), or set dft.pw_path in the campaign config"
  command -v mpirun > /dev/null || command -v srun > /dev/null || need "an MPI launcher (mpirun or srun)" "module load openmpi, or set dft.launcher to srun inside Slurm (none: one rank)"
  ldconfig -p 2> /dev/null | grep -q libsymspg || [[ -n ${SPGLIB_DIR:-} ]] || need "spglib (libsymspg.so)" "module load spglib, or conda install -c conda-forge spglib; put its lib folder on LD_LIBRARY_PATH"
  ((missing == 0)) || { say "$missing prerequisite(s) missing; nothing was built"; exit 1; }
fi

# --- apt packages --------------------------------------------------------------------------
# libtorch-dev: the neural-network runtime; libopenblas0-pthread: switches libblas.so.3 to
# OpenBLAS (about 20x faster matmuls than the reference BLAS libtorch-dev pulls in);
# quantum-espresso + openmpi-bin: pw.x (the cluster runtime is Akka.NET, a NuGet package: no broker);
# libsymspg-dev: spglib for space groups; postgresql: the multi-node journal (scripts/postgres.sh runs a private server);
# chromium: the headless browser the run report's test opens report.html in (PuppeteerSharp drives /usr/bin/chromium).
PACKAGES=(libtorch-dev libopenblas0-pthread cmake g++ make quantum-espresso openmpi-bin libsymspg-dev postgresql chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})) && [[ $NO_APT == 0 ]]; then
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
