#!/usr/bin/python3
"""Reads the per-configuration results of bench/run.sh, prints the table and the ratios, and
writes one JSON file with everything (the inputs, the ratios, the targets, the machine).

A missing configuration is reported as missing, never guessed.
"""
import argparse
import json
import os
import platform

RUNS = [
    ("a_concat", "(a) server, continuous batching, concat decoder"),
    ("a_gqa", "(a) server, continuous batching, GQA in-place decoder"),
    ("b_serial", "(b) server, one sequence at a time (concat)"),
    ("b_serial_gqa", "(b) server, one sequence at a time (GQA)"),
    ("c_static", "(c) server, static batching (concat)"),
    ("c_static_gqa", "(c) server, static batching (GQA)"),
    ("d_concat", "(d) bare engine, concat decoder"),
    ("d_gqa", "(d) bare engine, GQA decoder"),
    ("e_peer", "(e) transformers.js, one by one (concat)"),
    ("a_concat_long", "(a) server, concat, long prompts"),
    ("a_gqa_long", "(a) server, GQA, long prompts"),
    ("d_concat_long", "(d) bare engine, concat, long prompts"),
    ("d_gqa_long", "(d) bare engine, GQA, long prompts"),
]

# numerator, denominator, target (minimum), what it says
RATIOS = [
    ("a_concat", "b_serial", 5.0, "a/b: continuous batching over one sequence at a time (concat)"),
    ("a_gqa", "b_serial_gqa", 5.0, "a/b: continuous batching over one sequence at a time (GQA)"),
    ("a_concat", "c_static", 1.3, "a/c: continuous over static batching (concat)"),
    ("a_gqa", "c_static_gqa", 1.3, "a/c: continuous over static batching (GQA)"),
    ("a_concat", "d_concat", 0.9, "a/d: server over the bare engine (concat)"),
    ("a_gqa", "d_gqa", 0.9, "a/d: server over the bare engine (GQA)"),
    ("a_concat", "e_peer", 5.0, "a/e: server (concat) over transformers.js one by one"),
    ("a_gqa", "e_peer", 5.0, "a/e: server (GQA) over transformers.js one by one"),
    ("a_gqa", "a_concat", None, "GQA over concat in (a), mixed workload"),
    ("a_gqa_long", "a_concat_long", 1.5, "GQA over concat in (a), long prompts (contexts ~240..480)"),
    ("a_concat_long", "d_concat_long", 0.9, "a/d at long prompts (concat)"),
    ("a_gqa_long", "d_gqa_long", 0.9, "a/d at long prompts (GQA)"),
]


def load_run(out, name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        data = json.load(f)
    if name.startswith("d_"):
        workload = data["workload"]
        run = {"output_tokens": workload["output_tokens"], "seconds": workload["seconds"],
               "requests": workload["requests"],
               "output_tokens_per_second": workload["output_tokens_per_second"],
               "mean_rows_per_step": workload["mean_rows_per_step"],
               "mean_prompt_tokens": workload["mean_prompt_tokens"], "sweep": data.get("sweep", [])}
    elif name.startswith("e_"):
        run = {k: data[k] for k in ("output_tokens", "seconds", "requests", "output_tokens_per_second", "engine")}
    else:
        run = {"output_tokens": data["output_tokens"], "seconds": data["duration_seconds"],
               "requests": data["completed"], "failed": data["failed"],
               "output_tokens_per_second": data["output_tokens_per_second"],
               "ttft_p50_ms": data["ttft"]["p50_ms"], "tpot_p50_ms": data["tpot"]["p50_ms"],
               "e2e_p50_ms": data["e2e"]["p50_ms"]}
        # `vlm bench` writes its report also when interrupted: say so rather than pass it off.
        if data["completed"] < data["config"]["requests"]:
            run["partial"] = f"{data['completed']} of {data['config']['requests']} requests completed"
    if "cpu_seconds" in data.get("workload", data):
        run["cpu_seconds"] = data.get("workload", data)["cpu_seconds"]
    cpu_path = os.path.join(out, name + ".cpu")
    if os.path.exists(cpu_path):
        with open(cpu_path) as f:
            ticks = [float(line) for line in f.read().split()]
        if len(ticks) == 2:
            run["cpu_seconds"] = ticks[1] - ticks[0]
    if run.get("cpu_seconds"):
        run["output_tokens_per_cpu_second"] = run["output_tokens"] / run["cpu_seconds"]
    load_path = os.path.join(out, name + ".load")
    if os.path.exists(load_path):
        with open(load_path) as f:
            run["loadavg_before_after"] = [line.split() for line in f.read().splitlines()]
    return run


class ModelCost:
    """What one decode step of the bench model moves and computes (float32), from config.json."""

    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            text = json.load(f)["text_config"]
        h, inter, layers = text["hidden_size"], text["intermediate_size"], text["num_hidden_layers"]
        heads, kv_heads = text["num_attention_heads"], text["num_key_value_heads"]
        head_dim = text.get("head_dim") or h // heads
        vocab = text["vocab_size"]
        per_layer = h * heads * head_dim * 2 + h * kv_heads * head_dim * 2 + 3 * h * inter
        self.params = layers * per_layer + vocab * h  # decoder matrices and lm_head
        self.weight_bytes = 4 * self.params
        self.kv_bytes_per_position = 4 * layers * 2 * kv_heads * head_dim
        self.attention_flops_per_position = 4 * layers * heads * head_dim

    def step(self, batch, context, in_place):
        """Bytes and FLOPs of one decode step: every weight once; the cache read once in place, or
        read, copied into the new present and read again by attention with the concat decoder."""
        kv = batch * context * self.kv_bytes_per_position
        moved = self.weight_bytes + (kv if in_place else 3 * kv)
        flops = batch * (2 * self.params + context * self.attention_flops_per_position)
        return moved, flops

    def bound_tokens_per_second(self, batch, context, in_place, limits):
        moved, flops = self.step(batch, context, in_place)
        seconds = max(moved / (limits["read_gbps"] * 1e9), flops / (limits["gflops"] * 1e9))
        return batch / seconds, ("memory" if moved / limits["read_gbps"] > flops / limits["gflops"] else "compute")

    def workload_bound(self, output_tokens, prompt_tokens, batch, limits):
        """Tokens/s if the run did nothing but its FLOPs at the measured peak, and read the weights
        once per step with at most `batch` sequences a step (attention left out: under 5% here)."""
        flop_seconds = (output_tokens + prompt_tokens) * 2 * self.params / (limits["gflops"] * 1e9)
        byte_seconds = (output_tokens / batch) * self.weight_bytes / (limits["read_gbps"] * 1e9)
        return output_tokens / max(flop_seconds, byte_seconds)


def machine():
    info = {"cpus": os.cpu_count(), "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def write_markdown(path, runs, ratios, limits):
    """The tables for docs/PERFORMANCE.md."""
    lines = []
    if limits:
        lines.append(f"Limits measured in this run: {limits['gflops']:.1f} GFLOP/s, {limits['read_gbps']:.1f} GB/s.\n")
    lines.append("| configuration | requests | output tokens | seconds | tok/s | bound tok/s | of bound | tok/CPU-s | load (1 min) before / after |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for name, label in RUNS:
        run = runs.get(name)
        if run is None:
            lines.append(f"| {label} | not run | | | | | | | |")
            continue
        bound = run.get("bound_tokens_per_second")
        load = " / ".join(row[0] for row in run.get("loadavg_before_after", []))
        if run.get("partial"):
            label += f" (partial: {run['partial']})"
        lines.append(
            f"| {label} | {run['requests']} | {run['output_tokens']} | {run['seconds']:.1f} | "
            f"{run['output_tokens_per_second']:.1f} | {'%.0f' % bound if bound else ''} | "
            f"{'%.0f%%' % (100 * run['fraction_of_bound']) if bound else ''} | "
            f"{'%.1f' % run['output_tokens_per_cpu_second'] if run.get('output_tokens_per_cpu_second') else ''} | {load} |")
    lines.append("")
    lines.append("| ratio | wall time | per CPU-second | target |")
    lines.append("|---|---|---|---|")
    for ratio in ratios:
        value = "n/a" if ratio["value"] is None else f"{ratio['value']:.2f}"
        cpu = "" if not ratio.get("per_cpu_second") else f"{ratio['per_cpu_second']:.2f}"
        target = "partial run" if ratio.get("partial") else "" if ratio["target"] is None else (">= %.1f" % ratio["target"])
        if ratio["value"] is not None and ratio["target"] is not None:
            target += " (met)" if ratio["value"] >= ratio["target"] else " (short)"
        lines.append(f"| {ratio['what']} | {value} | {cpu} | {target} |")
    for name in ("d_concat", "d_gqa"):
        run = runs.get(name)
        if run and run.get("sweep"):
            lines.append("")
            lines.append(f"Decode steps alone, {name[2:]} decoder:\n")
            lines.append("| batch | context | tok/s | ms/step | MiB/step | GFLOP/step | bound tok/s | bound by | of bound |")
            lines.append("|---|---|---|---|---|---|---|---|---|")
            for p in run["sweep"]:
                if "bound_tokens_per_second" in p:
                    lines.append(f"| {p['batch']} | {p['context']} | {p['tokens_per_second']:.1f} | {p['ms_per_step']:.1f} | "
                                 f"{p['bytes_per_step'] / 2**20:.0f} | {p['flops_per_step'] / 1e9:.2f} | "
                                 f"{p['bound_tokens_per_second']:.0f} | {p['bound_by']} | "
                                 f"{100 * p['tokens_per_second'] / p['bound_tokens_per_second']:.0f}% |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="bench/run.sh's output folder")
    parser.add_argument("--results", required=True, help="JSON file to write")
    parser.add_argument("--model", required=True, help="the bench model (concat), for its sizes")
    parser.add_argument("--markdown", help="also write the tables as Markdown to this file")
    args = parser.parse_args()

    runs = {name: load_run(args.out, name) for name, _ in RUNS}
    cost = ModelCost(args.model)
    limits = None
    if os.path.exists(os.path.join(args.out, "roofline.json")):
        with open(os.path.join(args.out, "roofline.json")) as f:
            limits = json.load(f)
        print(f"limits: {limits['gflops']:.1f} GFLOP/s, {limits['read_gbps']:.1f} GB/s read; model "
              f"{cost.params / 1e6:.1f}M decoder parameters = {cost.weight_bytes / 2**20:.0f} MiB, "
              f"KV {cost.kv_bytes_per_position // 1024} KiB per position")
        prompt_tokens = {}
        for name in ("d_concat", "d_concat_long"):
            if runs.get(name):
                prompt_tokens["long" if "long" in name else "mixed"] = runs[name]["mean_prompt_tokens"]
        for name, run in runs.items():
            if run is None:
                continue
            kind = "long" if "long" in name else "mixed"
            if kind not in prompt_tokens:
                continue
            batch = 1 if name in ("b_serial", "b_serial_gqa", "e_peer") else 32
            bound = cost.workload_bound(run["output_tokens"], prompt_tokens[kind] * run["requests"], batch, limits)
            run["bound_tokens_per_second"] = bound
            run["fraction_of_bound"] = run["output_tokens_per_second"] / bound
    print()
    print(f"{'configuration':58} {'req':>4} {'tokens':>7} {'seconds':>8} {'tok/s':>8} {'bound':>7} {'of it':>6}"
          f" {'tok/cpu-s':>9}  load 1-min before/after")
    for name, label in RUNS:
        run = runs[name]
        if run is None:
            print(f"{label:58} {'not run':>30}")
            continue
        load = run.get("loadavg_before_after", [])
        load_text = "/".join(row[0] for row in load)
        bound = run.get("bound_tokens_per_second")
        bound_text = f"{bound:>7.0f} {run['fraction_of_bound']:>6.0%}" if bound else f"{'':>14}"
        if run.get("partial"):
            label = label + " [PARTIAL]"
        print(f"{label:58} {run['requests']:>4} {run['output_tokens']:>7} {run['seconds']:>8.1f} "
              f"{run['output_tokens_per_second']:>8.1f} {bound_text} {run.get('output_tokens_per_cpu_second', 0):>9.1f}"
              f"  {load_text}")

    ratios = []
    print()
    for num, den, target, label in RATIOS:
        if runs.get(num) is None or runs.get(den) is None:
            ratios.append({"ratio": f"{num}/{den}", "what": label, "value": None, "target": target})
            print(f"{label:58} {'n/a':>8}")
            continue
        value = runs[num]["output_tokens_per_second"] / runs[den]["output_tokens_per_second"]
        cpu_value = None
        if runs[num].get("output_tokens_per_cpu_second") and runs[den].get("output_tokens_per_cpu_second"):
            cpu_value = runs[num]["output_tokens_per_cpu_second"] / runs[den]["output_tokens_per_cpu_second"]
        partial = bool(runs[num].get("partial") or runs[den].get("partial"))
        verdict = "" if target is None else ("meets >= %.1f" % target if value >= target else "SHORT of >= %.1f" % target)
        if partial:
            verdict = "from a PARTIAL run"
            target = None
        ratios.append({"ratio": f"{num}/{den}", "what": label, "value": value, "target": target,
                       "meets_target": None if target is None else value >= target,
                       "per_cpu_second": cpu_value, "partial": partial})
        cpu_text = f"(per CPU-second {cpu_value:.2f})" if cpu_value else ""
        print(f"{label:58} {value:>8.2f}  {verdict:18} {cpu_text}")

    for name in ("d_concat", "d_gqa"):
        run = runs.get(name)
        if run and run.get("sweep"):
            print(f"\n{name}: decode steps alone (tok/s; ms per step; roofline bound and what bounds it)")
            for point in run["sweep"]:
                extra = ""
                if limits:
                    bound, by = cost.bound_tokens_per_second(point["batch"], point["context"], name == "d_gqa", limits)
                    moved, flops = cost.step(point["batch"], point["context"], name == "d_gqa")
                    point.update(bound_tokens_per_second=bound, bound_by=by, bytes_per_step=moved, flops_per_step=flops)
                    extra = (f"  {moved / 2**20:>6.0f} MiB {flops / 1e9:>5.2f} GFLOP per step; bound {bound:>6.0f} tok/s "
                             f"({by}), {point['tokens_per_second'] / bound:>4.0%} of it")
                print(f"  batch {point['batch']:>2}, context {point['context']:>4}: "
                      f"{point['tokens_per_second']:>7.1f} tok/s  {point['ms_per_step']:>7.1f} ms{extra}")

    if args.markdown:
        write_markdown(args.markdown, runs, ratios, limits)
    with open(args.results, "w") as f:
        json.dump({"machine": machine(), "limits": limits, "model_params": cost.params, "runs": runs, "ratios": ratios}, f, indent=1)
    print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()
