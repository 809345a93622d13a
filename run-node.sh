#!/usr/bin/env bash
# Starts a CrystalActors node. With no arguments: one node, all roles, embedded transport.
# (Until the campaign lands, the no-argument run is a smoke run of the pieces that exist.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/bootstrap.sh
CLI=scripts/crystal-actors
"$CLI" torch info
"$CLI" bench torch --seconds 0.5
