"""Values the Python safetensors library reads from the test checkpoints, for
test/safetensors.test.ts to compare against sentvec's reader.

Run with the reference venv:
  /root/.cache/sentvec/refenv/bin/python test/goldens/make_safetensors_goldens.py
"""
import json
import os
from pathlib import Path

import numpy as np
from safetensors import safe_open

WEIGHTS = Path(os.environ.get("SENTVEC_WEIGHTS", Path.home() / ".cache" / "sentvec" / "weights"))
OUT = Path(__file__).with_name("safetensors-values.json")

# A few tensors of each kind the graphs read: embeddings, a layer norm, an attention weight,
# a bias, and MPNet's relative-position table.
TENSORS = {
    "all-MiniLM-L6-v2": [
        "embeddings.word_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.5.output.dense.bias",
    ],
    "all-mpnet-base-v2": [
        "embeddings.word_embeddings.weight",
        "encoder.relative_attention_bias.weight",
        "encoder.layer.0.attention.attn.q.weight",
        "encoder.layer.11.output.LayerNorm.bias",
    ],
}


def sample_indices(size: int) -> list[int]:
    """First, last, and evenly spread flat indices, so both ends of each span are checked."""
    return sorted({0, 1, size // 3, size // 2, (2 * size) // 3, size - 2, size - 1})


def main() -> None:
    goldens = {}
    for checkpoint, names in TENSORS.items():
        with safe_open(str(WEIGHTS / checkpoint / "model.safetensors"), framework="np") as f:
            shapes = {key: list(f.get_slice(key).get_shape()) for key in f.keys()}
            tensors = {}
            for name in names:
                values = f.get_tensor(name)
                assert values.dtype == np.float32, (checkpoint, name, values.dtype)
                flat = values.reshape(-1)
                tensors[name] = {
                    # float32 → Python float is exact, and repr round-trips through JSON.
                    "values": {str(i): float(flat[i]) for i in sample_indices(flat.size)},
                    "sum": float(flat.astype(np.float64).sum()),
                }
            goldens[checkpoint] = {"metadata": f.metadata(), "shapes": shapes, "tensors": tensors}
    OUT.write_text(json.dumps(goldens, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
