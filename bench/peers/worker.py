"""sentence-transformers on PyTorch as a bench/peers worker: the same tasks and answer as
tasks.mjs, so the reference runs under the same conditions as every other engine, plus `size`,
the installed size of sentence-transformers and everything it requires.
Usage: python worker.py SPEC_JSON"""

import json
import resource
import sys
import time
from importlib import metadata


def installed_closure(root):
    """Distributions `pip install root` brings in: requirements without extras, markers evaluated."""
    from packaging.requirements import Requirement

    seen, pending = {}, [root]
    while pending:
        name = pending.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = distribution
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def size_task():
    closure = installed_closure("sentence-transformers")
    sizes = {name: sum(file.size or 0 for file in distribution.files or []) for name, distribution in closure.items()}
    cuda = sum(size for name, size in sizes.items() if name.startswith(("nvidia-", "triton", "cuda-")))
    return {
        "installedBytes": sum(sizes.values()),
        "cudaLibraryBytes": cuda,
        "versions": {name: closure[name].version for name in ("sentence-transformers", "torch", "transformers")},
    }


def model_task(spec):
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(spec["threads"])
    torch.set_num_interop_threads(1)
    with open(spec["sentencesFile"]) as file:
        sentences = json.load(file)
    model = SentenceTransformer(spec["folder"], device="cpu")

    def encode(texts):
        return model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)

    if spec["task"] == "cold":
        return {"dimension": int(encode(sentences[:1]).shape[1])}
    if spec["task"] == "vectors":
        batch_size = spec["batchSize"]
        batches = range(0, len(sentences), batch_size)
        flat = np.concatenate([encode(sentences[start : start + batch_size]) for start in batches]).astype(np.float32)
        flat.tofile(spec["vectorsFile"])
        return {
            "count": int(flat.shape[0]),
            "dimension": int(flat.shape[1]),
            "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }
    if spec["task"] == "timing":
        throughput, latencies_ms = {}, []
        for batch_size, count in spec["batches"]:
            batches = [sentences[start : min(start + batch_size, count)] for start in range(0, count, batch_size)]
            encode(batches[0])
            calls_ms = []
            for batch in batches:
                begin = time.perf_counter()
                encode(batch)
                calls_ms.append((time.perf_counter() - begin) * 1000)
            throughput[str(batch_size)] = count / sum(calls_ms) * 1000
            if batch_size == 1:
                latencies_ms = calls_ms
        return {"throughput": throughput, "latenciesMs": latencies_ms}
    sys.exit(f"unknown task {spec['task']}; expected size, cold, vectors or timing")


spec = json.loads(sys.argv[1])
result = size_task() if spec["task"] == "size" else model_task(spec)
print("RESULT " + json.dumps(result), flush=True)
