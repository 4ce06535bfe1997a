#!/usr/bin/env python3
"""Prints the benchmark table from criterion's results (target/criterion):
ns per call for every peer of every scenario, and each peer's ratio to
`traced` in the same scenario. Run after
`cargo bench --features test-util --bench peers --bench no_provider`."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = {}
for bench in sorted(root.glob("**/new/benchmark.json")):
    meta = json.loads(bench.read_text())
    estimates = json.loads((bench.parent / "estimates.json").read_text())
    per_iter = estimates["mean"]["point_estimate"]
    elements = (meta.get("throughput") or {}).get("Elements") or 1
    peer = meta["function_id"] + (f" ({meta['value_str']})" if meta.get("value_str") else "")
    rows.setdefault(meta["group_id"], []).append((peer, per_iter / elements))

for group, peers in rows.items():
    base = next((ns for peer, ns in peers if peer.startswith("traced")), None)
    print(f"\n### {group}\n")
    print("| peer | ns per call | ratio to `#[traced]` |")
    print("|---|---:|---:|")
    for peer, ns in peers:
        ratio = f"{ns / base:.2f}x" if base else "-"
        print(f"| {peer} | {ns:.1f} | {ratio} |")
