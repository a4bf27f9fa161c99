"""Writes mpnet-relative-buckets.json: what transformers' MPNet computes for relative position
buckets (every relative position a 1024-token input can have) and for position ids of a padded
batch with a literal pad token inside the text, so the TypeScript port is checked against
PyTorch itself, log-boundary cases included.

  python test/goldens/make_mpnet_goldens.py
"""
import json
from pathlib import Path

import torch
import transformers
from transformers.models.mpnet.modeling_mpnet import MPNetEncoder, create_position_ids_from_input_ids

HERE = Path(__file__).resolve().parent
relative = torch.arange(-1024, 1025, dtype=torch.long)
buckets = MPNetEncoder.relative_position_bucket(relative, num_buckets=32, max_distance=128)
input_ids = torch.tensor([[0, 1037, 1, 2054, 2, 1, 1], [0, 2, 1, 1, 1, 1, 1], [0, 5, 6, 7, 8, 9, 2]])
positions = create_position_ids_from_input_ids(input_ids, padding_idx=1)
golden = {
    "transformers": transformers.__version__,
    "torch": torch.__version__,
    "relative_from": -1024,
    "buckets": buckets.tolist(),
    "input_ids": input_ids.tolist(),
    "position_ids": positions.tolist(),
}
(HERE / "mpnet-relative-buckets.json").write_text(json.dumps(golden) + "\n")
