"""Checks sentvec's hub cache against the real huggingface_hub client, both ways, over the
loopback hub (dist/test/hub-serve.js) serving the all-MiniLM-L6-v2 test checkpoint:

1. huggingface_hub's snapshot_download and hf_hub_download work against the loopback hub (so it
   imitates huggingface.co well enough for the real client), and sentvec then loads that cache
   by name with HF_HUB_OFFLINE=1;
2. a cache sentvec wrote is accepted by huggingface_hub with HF_HUB_OFFLINE=1:
   snapshot_download(local_files_only=True), hf_hub_download of every file, scan_cache_dir.

Run from the project root after a build, in a venv with huggingface_hub (not needed by npm test):

    python test/hub-interop/check_interop.py
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

REPO = "sentence-transformers/all-MiniLM-L6-v2"
WEIGHTS = os.environ.get("SENTVEC_WEIGHTS", os.path.expanduser("~/.cache/sentvec/weights"))

SENTVEC_LOAD = """
const { load } = await import('./dist/src/index.js');
const model = await load(REPO);
const [vector] = await model.encode(['A man is playing a harp.']);
console.log(JSON.stringify({ dimension: model.dimension, first: vector[0] }));
await model.close();
"""
SENTVEC_DOWNLOAD = "const { download } = await import('./dist/src/index.js'); console.log((await download(REPO)).dir);"

PYTHON_OFFLINE = """
import json, os, sys
from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download
repo, cache = sys.argv[1], sys.argv[2]
snapshot = snapshot_download(repo, cache_dir=cache, local_files_only=True)
files = []
for root, _, names in os.walk(snapshot):
    for name in names:
        relative = os.path.relpath(os.path.join(root, name), snapshot)
        files.append((relative, hf_hub_download(repo, relative, cache_dir=cache, local_files_only=True)))
report = scan_cache_dir(cache)
print(json.dumps({"snapshot": snapshot, "files": files, "warnings": [str(w) for w in report.warnings],
                  "revisions": [[r.commit_hash, sorted(r.refs), r.nb_files] for repo_info in report.repos for r in repo_info.revisions]}))
"""


def run(command, env, **kwargs):
    result = subprocess.run(command, env=env, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed:\n{result.stderr}")
    return result.stdout


def main():
    server = subprocess.Popen(["node", "dist/test/hub-serve.js", f"{REPO}={WEIGHTS}/all-MiniLM-L6-v2"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        endpoint = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as scratch:
            online = dict(os.environ, HF_ENDPOINT=endpoint, HF_HUB_DISABLE_TELEMETRY="1")
            python_cache, sentvec_cache = os.path.join(scratch, "python"), os.path.join(scratch, "sentvec")

            code = f"from huggingface_hub import snapshot_download as s, hf_hub_download as h; print(h({REPO!r}, 'config.json', cache_dir={python_cache!r})); print(s({REPO!r}, cache_dir={python_cache!r}))"
            print("huggingface_hub against the loopback hub:", run([sys.executable, "-c", code], online).split()[-1])
            offline_python_cache = dict(os.environ, HF_HUB_OFFLINE="1", HF_HUB_CACHE=python_cache, HF_ENDPOINT="http://127.0.0.1:9")
            print("sentvec loads the cache huggingface_hub wrote, offline:", run(["node", "--input-type=module", "-e", f"const REPO = {REPO!r};" + SENTVEC_LOAD], offline_python_cache).strip())

            print("sentvec downloads:", run(["node", "--input-type=module", "-e", f"const REPO = {REPO!r};" + SENTVEC_DOWNLOAD], dict(online, HF_HUB_CACHE=sentvec_cache)).strip())
            report = json.loads(run([sys.executable, "-c", PYTHON_OFFLINE, REPO, sentvec_cache], dict(os.environ, HF_HUB_OFFLINE="1", HF_ENDPOINT="http://127.0.0.1:9")))
            for relative, file in report["files"]:
                if relative == "model.safetensors":
                    with open(file, "rb") as weights:
                        digest = hashlib.sha256(weights.read()).hexdigest()
                    assert os.path.basename(os.path.realpath(file)) == digest, f"{file}: blob name is not its sha256"
            assert not report["warnings"], report["warnings"]
            print(f"huggingface_hub offline accepts sentvec's cache: {len(report['files'])} files by hf_hub_download, revisions {report['revisions']}, no scan warnings")
    finally:
        server.stdin.close()
        server.wait()


if __name__ == "__main__":
    main()
