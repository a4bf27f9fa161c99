#!/usr/bin/env bash
# npm run test:asan: builds the native addon with AddressSanitizer (build/asan) and runs the tests
# that drive it, kernels at awkward shapes and real models, with the sanitizer's runtime preloaded
# into node. Any out-of-bounds read or write stops the run with the sanitizer's report.
set -euo pipefail
cd "$(dirname "$0")/.."

node native/build.mjs --asan
runtime="$("${CXX:-g++}" -print-file-name=libasan.so)"
if [ ! -f "$runtime" ]; then
  echo "test:asan: ${CXX:-g++} has no libasan.so (install its libasan package)" >&2
  exit 1
fi

# node's own allocations are never freed at exit, so leak reports would be noise
export LD_PRELOAD="$runtime"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86"
export SENTVEC_NATIVE_ADDON="$PWD/build/asan/Release/sentvec.node"
export SENTVEC_REQUIRE_NATIVE=1
node dist/test/run.js native- linear-bounds int8-parity kernel-parity batching.test
