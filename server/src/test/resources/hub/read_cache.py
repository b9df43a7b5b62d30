"""Reads a Hugging Face cache with huggingface_hub itself, offline.

Usage: read_cache.py CACHE REPO_ID REVISION FILE...
Prints one JSON object: what scan_cache_dir found for the repository, and for each FILE the
path hf_hub_download(local_files_only=True) returned.
"""
import json
import sys

from huggingface_hub import hf_hub_download, scan_cache_dir

cache, repo_id, revision, *files = sys.argv[1:]
info = scan_cache_dir(cache)
repos = [r for r in info.repos if r.repo_id == repo_id]
result = {
    "warnings": [str(w) for w in info.warnings],
    "repos": [r.repo_id for r in info.repos],
    "revisions": [
        {
            "commit": rev.commit_hash,
            "refs": sorted(rev.refs),
            "files": sorted(str(f.file_path.relative_to(rev.snapshot_path)) for f in rev.files),
        }
        for r in repos
        for rev in r.revisions
    ],
    "downloads": {
        f: hf_hub_download(repo_id, f, revision=revision, cache_dir=cache, local_files_only=True) for f in files
    },
}
print(json.dumps(result))
