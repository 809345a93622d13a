#!/usr/bin/env bash
# matmul GFLOP/s (256/512/1024) and MLP training steps/s through the libtorch bridge, BLAS printed.
# Usage: bench/torch.sh [--threads N]
exec "$(dirname "$0")/../scripts/crystal-actors" bench torch "$@"
