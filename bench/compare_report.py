"""bench/compare.sh's report: results.json, a Markdown table with each
figure's ratio to raw RocksDB, the issue's targets, and the gnuplot script
(and its data) for compare.png. Usage: compare_report.py OUT SECONDS QUICK"""
import json
import os
import sys

out, seconds, quick = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
runs = [json.loads(line) for line in open(os.path.join(out, "results.jsonl")) if line.strip()]
as_of = [json.loads(line) for line in open(os.path.join(out, "asof.jsonl")) if line.strip()]
machine = dict(line.rstrip("\n").split(": ", 1) for line in open(os.path.join(out, "machine.txt")))


def name(run):
    """The chart's system name: PostgreSQL's 16-client INSERT is a system of
    its own; ledgerd's connections differ by batch size but it is one system."""
    return run["label"] + (" (16 clients)" if run["clients"] == "16" else "")


def rate(label, clients, batch):
    for run in runs:
        if run["label"] == label and run["clients"] == clients and run["result"]["batch"] == batch:
            return run["result"]["events_per_sec"]
    return None


batches = sorted({run["result"]["batch"] for run in runs})
print(f"ledger compare: {len(runs)} runs, {runs[0]['result']['event_bytes']}-byte events, "
      f"{seconds} s wall; {machine['cpu']}, {machine['cores']} cores")
print()
print("| system | clients | batch | events | events/s | MB/s | p99 ms | / raw RocksDB |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for run in runs:
    r = run["result"]
    raw = rate("raw RocksDB", "1", r["batch"])
    ratio = f"{r['events_per_sec'] / raw:.2f}" if raw else "-"
    print(f"| {run['label']} | {run['clients']} | {r['batch']:,} | {r['events']:,} | "
          f"{r['events_per_sec']:,.0f} | {r['mb_per_sec']:.1f} | {r['p99_ms']:.2f} | {ratio} |")

print()
print("As of T (one org; median over instants; both sides checked to agree):")
print()
print("| events | ours: snapshot + tail, ms | ours: full replay, ms | PostgreSQL SQL fold, ms "
      "| SQL / ours | PostgreSQL load, s |")
print("|---:|---:|---:|---:|---:|---:|")
for a in as_of:
    print(f"| {a['events']:,} | {a['ours_ms']:.1f} | {a['ours_full_replay_ms']:.1f} | "
          f"{a['postgres_ms']:.1f} | {a['postgres_ms'] / a['ours_ms']:.1f}x | "
          f"{a['postgres_load_s']:.1f} |")

targets = []
ours = rate("ledgerd (TCP)", "4x4", 1000)
for label, clients, wanted, against in [
    ("raw RocksDB", "1", 0.6, "raw RocksDB"),
    ("Redis XADD pipelined", "1", 3, "Redis Streams (appendfsync always)"),
    ("PostgreSQL COPY", "1", 6, "PostgreSQL COPY"),
    ("PostgreSQL INSERT", "16", 30, "PostgreSQL single-row INSERT, 16 clients"),
]:
    theirs = rate(label, clients, 1000)
    if ours and theirs:
        got = ours / theirs
        targets.append({"against": against, "target": wanted, "ratio": round(got, 3),
                        "met": got >= wanted})
print()
print("Targets (ledgerd at batches of 1,000):")
for t in targets:
    verdict = "met" if t["met"] else "MISSED"
    print(f"  >= {t['target']}x {t['against']}: {t['ratio']:.2f}x  {verdict}")

json.dump({"machine": machine, "wall_seconds": seconds, "quick": quick, "ingest": runs,
           "as_of": as_of, "targets": targets},
          open(os.path.join(out, "results.json"), "w"), indent=1)

# Chart data: events/s per system (rows) and batch size (columns), and the
# latency distribution (CDF) of ledgerd's acknowledgements per batch size.
systems = []
for run in runs:
    if name(run) not in systems:
        systems.append(name(run))
with open(os.path.join(out, "throughput.dat"), "w") as f:
    f.write("system " + " ".join(f"batch-{b}" for b in batches) + "\n")
    for system in systems:
        values = []
        for b in batches:
            match = [x["result"]["events_per_sec"] for x in runs
                     if name(x) == system and x["result"]["batch"] == b]
            values.append(str(match[0]) if match else "NaN")
        f.write('"' + system + '" ' + " ".join(values) + "\n")
cdf_plots = []
for b in batches:
    path = os.path.join(out, f"latency-ledgerd-{b}.txt")
    if not os.path.exists(path):
        continue
    samples = sorted(float(x) for x in open(path) if x.strip())
    with open(os.path.join(out, f"latency-ledgerd-{b}.cdf"), "w") as f:
        for i, value in enumerate(samples):
            f.write(f"{value} {100.0 * (i + 1) / len(samples)}\n")
    cdf_plots.append(f"'{out}/latency-ledgerd-{b}.cdf' using 1:2 with lines lw 2 "
                     f"title 'batch {b:,}'")
with open(os.path.join(out, "compare.gp"), "w") as f:
    f.write(f"""set terminal pngcairo size 1400,600 font ',10' noenhanced
set output '{out}/compare.png'
set multiplot layout 1,2
set title 'Durable ingestion (events/s, log scale), same events'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'events/s'
set xtics rotate by -35 scale 0
set key top left
set grid ytics
plot for [c=2:{len(batches) + 1}] '{out}/throughput.dat' using c:xtic(1) title columnheader(c)
unset logscale y
set logscale x
set style data lines
set title 'ledgerd acknowledgement latency (CDF)'
set xlabel 'latency, ms (log scale)'
set ylabel 'requests, %'
set xtics norotate
set key bottom right
plot {', '.join(cdf_plots)}
unset multiplot
""")
