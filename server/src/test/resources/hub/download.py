"""Downloads files of a repository with huggingface_hub from HF_ENDPOINT into HF_HUB_CACHE.

Usage: download.py REPO_ID FILE...   (prints the snapshot folder)
"""
import os
import sys

from huggingface_hub import hf_hub_download

repo_id, *files = sys.argv[1:]
paths = [hf_hub_download(repo_id, f) for f in files]
print(os.path.dirname(paths[0]))
