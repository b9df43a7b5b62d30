#!/usr/bin/env python3
"""Prints bench/dtypes.sh's table and ratios and writes them as JSON.

Per weight type: the bare engine's batch-1 decode tokens/s (context 128) against the bound the
machine's memory bandwidth sets (bandwidth / decoder weight bytes read per token), and the
server's tokens/s one request at a time and with 32 in flight. Standard library only.
"""
import argparse
import json
import pathlib
import sys

TARGETS = [
    ("q4 / fp32, batch 1", "q4", "fp32", "batch1", 4.0),
    ("q8 / fp32, batch 1", "q8", "fp32", "batch1", 2.5),
    ("q4 / fp32, 32 concurrent", "q4", "fp32", "concurrent", 1.4),
]


def read_json(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--dtypes", required=True)
    parser.add_argument("--results", type=pathlib.Path, required=True)
    args = parser.parse_args()

    bandwidth = None
    for token in (args.out / "bandwidth.txt").read_text().split():
        if token.startswith("bandwidth_gbps="):
            bandwidth = float(token.split("=", 1)[1])
    rows = {}
    for dtype in args.dtypes.split(","):
        weights = (read_json(args.out / f"weights_{dtype}.json") or {}).get(dtype, {})
        engine = read_json(args.out / f"d_{dtype}.json") or {}
        sweep = [p for p in engine.get("sweep", []) if p["batch"] == 1]
        serial = read_json(args.out / f"b_{dtype}.json") or {}
        concurrent = read_json(args.out / f"a_{dtype}.json") or {}
        rss = args.out / f"b_{dtype}.rss"
        row = {
            "server_rss_bytes": int(rss.read_text().split()[0]) if rss.exists() and rss.read_text().strip() else None,
            "weight_bytes_per_token": weights.get("weight_bytes_per_token"),
            "batch1": sweep[0]["tokens_per_second"] if sweep else None,
            "serial": serial.get("output_tokens_per_second"),
            "concurrent": concurrent.get("output_tokens_per_second"),
        }
        if bandwidth and row["weight_bytes_per_token"]:
            row["bound"] = bandwidth * 1e9 / row["weight_bytes_per_token"]
            row["of_bound"] = row["batch1"] / row["bound"] if row["batch1"] else None
        rows[dtype] = row

    print(f"memory bandwidth (streaming read): {bandwidth} GB/s")
    print(f"{'dtype':6} {'MiB/token':>10} {'bound tok/s':>12} {'batch-1 tok/s':>14} {'of bound':>9} "
          f"{'1 at a time':>12} {'32 concurrent':>14} {'server RSS MiB':>15}")

    def fmt(value, pattern):
        return pattern % value if value is not None else "n/a"

    for dtype, r in rows.items():
        mib = r["weight_bytes_per_token"] / 2**20 if r["weight_bytes_per_token"] else None
        print(f"{dtype:6} {fmt(mib, '%10.1f')} {fmt(r.get('bound'), '%12.1f')} {fmt(r['batch1'], '%14.1f')} "
              f"{fmt(r.get('of_bound'), '%9.2f')} {fmt(r['serial'], '%12.1f')} {fmt(r['concurrent'], '%14.1f')} "
              f"{fmt(r['server_rss_bytes'] / 2**20 if r['server_rss_bytes'] else None, '%15.0f')}")
    ratios = {}
    for label, top, bottom, column, target in TARGETS:
        a = rows.get(top, {}).get(column)
        b = rows.get(bottom, {}).get(column)
        value = a / b if a and b else None
        ratios[label] = {"value": value, "target": target}
        print(f"{label:28} {fmt(value, '%.2f'):>6}  (target >= {target})")
    for dtype, r in rows.items():
        if r.get("of_bound") is not None:
            print(f"{dtype} batch-1 of bound: {r['of_bound']:.2f}  (target >= 0.8)")
    args.results.write_text(json.dumps({"bandwidth_gbps": bandwidth, "dtypes": rows, "ratios": ratios}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
