"""The Python engines as bench/peers workers: the same tasks and answer as tasks.mjs, so they run
under the same conditions as every other engine. `engine` picks sentence-transformers on PyTorch
(the reference) or llama.cpp through llama-cpp-python; `size` gives the installed size of the
engine's package and everything it requires.
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


PACKAGES = {
    "sentence-transformers": ("sentence-transformers", "torch", "transformers"),
    "llama-cpp": ("llama-cpp-python", "numpy"),
}


def size_task(engine):
    root, *others = PACKAGES[engine]
    closure = installed_closure(root)
    sizes = {name: sum(file.size or 0 for file in distribution.files or []) for name, distribution in closure.items()}
    cuda = sum(size for name, size in sizes.items() if name.startswith(("nvidia-", "triton", "cuda-")))
    return {
        "installedBytes": sum(sizes.values()),
        "cudaLibraryBytes": cuda,
        "versions": {name: closure[name].version for name in (root, *others)},
    }


def sentence_transformers_encoder(spec):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(spec["threads"])
    torch.set_num_interop_threads(1)
    model = SentenceTransformer(spec["folder"], device="cpu")

    def encode(texts):
        return model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)

    return encode


def llama_cpp_encoder(spec):
    import numpy as np
    from llama_cpp import Llama

    # Pooling comes from the GGUF (the converter copies it from the checkpoint's modules.json). The
    # context, logical and physical batch stay at llama-cpp-python's 512 tokens, the models'
    # trained length: embed() packs as many whole texts as fit into each decode.
    model = Llama(
        model_path=spec["gguf"],
        embedding=True,
        n_threads=spec["threads"],
        n_threads_batch=spec["threads"],
        flash_attn=spec["flashAttention"],
        verbose=False,
    )

    def encode(texts):
        return np.asarray(model.embed(texts, normalize=spec["normalize"]), dtype=np.float32)

    return encode


def model_task(spec):
    import numpy as np

    with open(spec["sentencesFile"]) as file:
        sentences = json.load(file)
    encode = (llama_cpp_encoder if spec["engine"] == "llama-cpp" else sentence_transformers_encoder)(spec)

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
result = size_task(spec["engine"]) if spec["task"] == "size" else model_task(spec)
print("RESULT " + json.dumps(result), flush=True)
