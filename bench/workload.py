#!/usr/bin/python3
"""Writes one benchmark workload in the three forms its consumers read.

workload.json  {"image": PATH, "requests": [{"prompt": TEXT, "max_new_tokens": N}, ...]}
               read by the bare-engine bench (EngineBench) and the transformers.js peer
spec.json      the same requests as `vlm bench` request classes (one class per request,
               equal weights, ignore_eos, greedy)

Seeded: the same arguments give the same files.
"""
import argparse
import json
import os
import random

WORDS = ("the a red blue small large image shows picture of cat dog house tree car road sky "
         "water light dark left right top bottom near far what where how many colour shape "
         "square circle line stripe pattern describe explain count find").split()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for workload.json and spec.json")
    parser.add_argument("--image", required=True, help="image every request carries")
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--prompt-words", type=int, default=32)
    parser.add_argument("--min-output", type=int, default=16)
    parser.add_argument("--max-output", type=int, default=256)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    image = os.path.abspath(args.image)
    requests = []
    for _ in range(args.requests):
        prompt = " ".join(rng.choice(WORDS) for _ in range(args.prompt_words)).capitalize() + "?"
        requests.append({"prompt": prompt,
                         "max_new_tokens": rng.randint(args.min_output, args.max_output)})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "workload.json"), "w") as f:
        json.dump({"image": image, "requests": requests}, f, indent=1)
    classes = [{"name": f"r{i}", "images": [image], "prompt": r["prompt"],
                "output": r["max_new_tokens"], "ignore_eos": True, "temperature": 0}
               for i, r in enumerate(requests)]
    with open(os.path.join(args.out, "spec.json"), "w") as f:
        json.dump({"classes": classes}, f, indent=1)
    total = sum(r["max_new_tokens"] for r in requests)
    print(f"{args.out}: {len(requests)} requests, {total} output tokens, "
          f"{args.prompt_words} prompt words each")


if __name__ == "__main__":
    main()
