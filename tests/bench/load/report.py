#!/usr/bin/env python3
"""Turns the results.jsonl of tests/bench/broker_vs_mosquitto.sh into markdown tables: medians
per scenario and broker, the ratio edge-gateway / Mosquitto, and a verdict against the targets.

    python3 tests/bench/load/report.py OUT/results.jsonl
"""
import json
import statistics
import sys
from collections import OrderedDict, defaultdict

BROKERS = ("edge-gateway", "mosquitto")
IDLE_RSS_TARGET_MIB = 4.0
THROUGHPUT_TARGET = 1.5

runs = defaultdict(list)
scenarios = OrderedDict()
for line in open(sys.argv[1]):
    row = json.loads(line)
    scenarios[row["id"]] = (row["scenario"], row["kind"])
    runs[(row["id"], row["result"]["label"])].append(row)


def med(rows, f):
    vals = []
    for r in rows:
        try:
            v = f(r["result"])
        except (KeyError, TypeError, ZeroDivisionError):
            v = None
        if v is not None:
            vals.append(v)
    return statistics.median(vals) if vals else None


def ok_rows(sid, broker):
    return [r for r in runs.get((sid, broker), []) if r["result"].get("setup_ok")]


def rate(v):
    if v is None: return "-"
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.1f} k" if v >= 1e4 else f"{v:.0f}"


def us(v):
    if v is None: return "-"
    return f"{v / 1000:.1f} ms" if v >= 1000 else f"{v:.0f} µs"


def num(v, fmt="{:.2f}"):
    return "-" if v is None else fmt.format(v)


def ratio(a, b):
    return a / b if a is not None and b else None


def pct_of_core(cpu_s, wall_s):
    return 100.0 * cpu_s / wall_s if wall_s and cpu_s is not None and cpu_s >= 0 else None


reps = max((len(v) for v in runs.values()), default=0)
print(f"Medians of {reps} runs per cell. msg/s = messages per second; delivered msg/s = messages "
      "received by all subscribers / (first PUBLISH to last delivery); latency = publisher send to "
      "subscriber receipt; CPU % = CPU seconds / that same wall time (100 % = one core).\n")

# Throughput and latency.
print("| id | scenario | broker | published msg/s | delivered msg/s | delivered / expected | p50 | p99 "
      "| broker CPU µs/msg | broker CPU % | mqtt_load CPU % (procs) | broker peak RSS | load avg |")
print("|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
targets = []
for sid, (desc, kind) in scenarios.items():
    if kind not in ("run", "fanout") or "idle" in desc: continue
    cells = {}
    for broker in BROKERS:
        rows = runs.get((sid, broker), [])
        ok = ok_rows(sid, broker)
        if not rows: continue
        loss = med(ok, lambda r: 100.0 * (r["expected"] - r["delivered"]) / r["expected"] if r["expected"] else None)
        exact = sum(1 for r in ok if r["result"]["exact"])
        if "closed loop" in desc or ok and ok[0]["result"]["qos"] > 0:
            dcol = f"exact {exact}/{len(rows)}" + ("" if exact == len(rows) else f", loss {num(loss)} %")
        else:
            dcol = f"loss {num(loss)} %"
        delivered = med(ok, lambda r: r["deliver_rate"])
        p50 = med(ok, lambda r: r["latency_us"]["p50"])
        p99 = med(ok, lambda r: r["latency_us"]["p99"])
        procs = ok[0]["result"].get("generator_procs", 1) if ok else 1
        cells[broker] = dict(delivered=delivered, p50=p50, p99=p99, exact=exact, n=len(rows), loss=loss)
        print(f"| {sid} | {desc} | {broker} | {rate(med(ok, lambda r: r['publish_rate']))} | {rate(delivered)} "
              f"| {dcol} | {us(p50)} | {us(p99)} | {num(med(ok, lambda r: r['broker_cpu_us_per_msg']))} "
              f"| {num(med(ok, lambda r: pct_of_core(r['broker_cpu_s'], r['deliver_s'])), '{:.0f}')} "
              f"| {num(med(ok, lambda r: pct_of_core(r['load_cpu_s'], r['deliver_s'])), '{:.0f}')} ({procs}) "
              f"| {num(med(ok, lambda r: r['broker_after']['hwm_kb'] / 1024), '{:.1f} MiB')} "
              f"| {num(med(rows, lambda r: r['loadavg']))} |")
    if len(cells) < 2: continue
    eg, mq = cells["edge-gateway"], cells["mosquitto"]
    if sid.startswith("d"):
        targets.append((sid, desc, "p50 latency", us(eg["p50"]), us(mq["p50"]), ratio(eg["p50"], mq["p50"]), "(info)", None))
        r = ratio(eg["p99"], mq["p99"])
        targets.append((sid, desc, "p99 latency", us(eg["p99"]), us(mq["p99"]), r, "≤ 1.0", r is not None and r <= 1.0))
    else:
        r = ratio(eg["delivered"], mq["delivered"])
        met = r is not None and r >= THROUGHPUT_TARGET
        what = "delivered msg/s"
        if "closed loop" in desc:
            what += " (fair: exact delivery)"
            met = met and eg["exact"] == eg["n"]
        else:
            what += f" (loss {num(eg['loss'], '{:.1f}')} % vs {num(mq['loss'], '{:.1f}')} %)"
        targets.append((sid, desc, what, rate(eg["delivered"]), rate(mq["delivered"]), r, f"≥ {THROUGHPUT_TARGET}", met))

# Idle connections.
print()
print("| id | scenario | broker | RSS right after start | RSS with all connected | RSS delta | bytes per connection "
      "| broker peak RSS | load avg |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
idle_rss = {}
for sid, (desc, kind) in scenarios.items():
    if "idle" not in desc: continue
    cells = {}
    for broker in BROKERS:
        rows = ok_rows(sid, broker)
        if not rows: continue
        before = med(rows, lambda r: r["broker_before"]["rss_kb"] / 1024)
        conn = med(rows, lambda r: r["broker_connected"]["rss_kb"] / 1024)
        delta = med(rows, lambda r: (r["broker_connected"]["rss_kb"] - r["broker_before"]["rss_kb"]) / 1024)
        per = med(rows, lambda r: (r["broker_connected"]["rss_kb"] - r["broker_before"]["rss_kb"]) * 1024 / r["idle"])
        idle_rss.setdefault(broker, []).extend(r["result"]["broker_before"]["rss_kb"] / 1024 for r in rows)
        cells[broker] = per
        print(f"| {sid} | {desc} | {broker} | {before:.2f} MiB | {conn:.1f} MiB | {delta:.1f} MiB | {per:,.0f} B "
              f"| {num(med(rows, lambda r: r['broker_after']['hwm_kb'] / 1024), '{:.1f} MiB')} "
              f"| {num(med(rows, lambda r: r['loadavg']))} |")
    if len(cells) == 2:
        r = ratio(cells["edge-gateway"], cells["mosquitto"])
        targets.append((sid, desc, "bytes per idle connection", f"{cells['edge-gateway']:,.0f} B",
                        f"{cells['mosquitto']:,.0f} B", r, "≤ 1.0", r is not None and r <= 1.0))

# Connect rate.
print()
print("| id | scenario | broker | connects/s | failed | CONNACK p50 | CONNACK p99 | broker CPU µs/connect | broker CPU % "
      "| mqtt_load CPU % | load avg |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for sid, (desc, kind) in scenarios.items():
    if kind != "cycles": continue
    cells = {}
    for broker in BROKERS:
        rows = runs.get((sid, broker), [])
        if not rows: continue
        cps = med(rows, lambda r: r["cycle_rate"])
        cells[broker] = cps
        print(f"| {sid} | {desc} | {broker} | {rate(cps)} | {num(med(rows, lambda r: r['failed']), '{:.0f}')} "
              f"| {us(med(rows, lambda r: r['latency_us']['p50']))} | {us(med(rows, lambda r: r['latency_us']['p99']))} "
              f"| {num(med(rows, lambda r: r['broker_cpu_s'] * 1e6 / r['completed']), '{:.0f}')} "
              f"| {num(med(rows, lambda r: pct_of_core(r['broker_cpu_s'], r['elapsed_s'])), '{:.0f}')} "
              f"| {num(med(rows, lambda r: pct_of_core(r['load_cpu_s'], r['elapsed_s'])), '{:.0f}')} "
              f"| {num(med(rows, lambda r: r['loadavg']))} |")
    if len(cells) == 2:
        r = ratio(cells["edge-gateway"], cells["mosquitto"])
        targets.append((sid, desc, "connects/s", rate(cells["edge-gateway"]), rate(cells["mosquitto"]), r,
                        f"≥ {THROUGHPUT_TARGET}", r is not None and r >= THROUGHPUT_TARGET))

if idle_rss:
    eg = statistics.median(idle_rss.get("edge-gateway", [0])) if "edge-gateway" in idle_rss else None
    mq = statistics.median(idle_rss.get("mosquitto", [0])) if "mosquitto" in idle_rss else None
    targets.append(("e", "idle RSS right after start", "VmRSS", num(eg, "{:.2f} MiB"), num(mq, "{:.2f} MiB"),
                    ratio(eg, mq), f"< {IDLE_RSS_TARGET_MIB:.0f} MiB", eg is not None and eg < IDLE_RSS_TARGET_MIB))

print()
print("| id | scenario | figure | edge-gateway | mosquitto | ratio eg/mosq | target | verdict |")
print("|---|---|---|---:|---:|---:|---|---|")
for sid, desc, what, eg, mq, r, target, met in targets:
    verdict = "-" if met is None else ("**met**" if met else "**not met**")
    print(f"| {sid} | {desc} | {what} | {eg} | {mq} | {num(r)} | {target} | {verdict} |")
