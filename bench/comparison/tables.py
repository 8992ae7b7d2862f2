"""Helpers shared by both reports: medians with their ranges, ratios,
Markdown tables, the sustained-rate test, the command templates, why a
sweep stopped, and reading sections of the existing report to keep them.

Pure functions of the results; nothing here runs anything."""

import re
import statistics

from .common import REPO


def sustained(entry, p99_ms):
    r = entry.get("result")
    return (entry.get("ok") and r is not None and r.get("lost", 1) == 0
            and r.get("latency_p99_ms", 1e9) <= p99_ms)


def median_range(values, digits=0):
    vals = [x for x in values if x is not None]
    if not vals:
        return "n/a", None
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med, digits), med
    return f"{fmt(med, digits)} ({fmt(min(vals), digits)}..{fmt(max(vals), digits)})", med


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def ratio(med, base):
    if med is None or base in (None, 0):
        return "n/a"
    r = med / base
    return f"{r:.2f}×" if r >= 0.1 or r == 0 else f"{r:.2g}×"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


PROFILE_HEADING = "## Profile of the fan-out path"


def existing_profile(doc_path):
    """The body of an already written profile section, to keep it."""
    try:
        text = doc_path.read_text()
    except OSError:
        return None
    if PROFILE_HEADING not in text:
        return None
    body = text.split(PROFILE_HEADING, 1)[1]
    body = re.split(r"\n## ", body, maxsplit=1)[0].strip()
    if not body or body.startswith("_To be filled in by the lead"):
        return None
    return body


def template(e):
    """A run's command with the per-run parts (port, PID, paths, rate) as names."""
    cmd = e["command"]
    cmd = re.sub(r"--addr 127\.0\.0\.1:\d+", "--addr 127.0.0.1:PORT", cmd)
    cmd = re.sub(r"--server-pid \d+", "--server-pid PID", cmd)
    cmd = re.sub(r"--json \S+", "--json RESULTS/r<ROUND>-<SERVER>-" + e["tag"].split("-r")[0]
                 + (".json" if e["scenario"] != "fanout" else "-r<RATE>.json"), cmd)
    cmd = re.sub(r"--label \S+", "--label <SERVER>", cmd)
    cmd = cmd.replace(str(REPO) + "/", "")
    if e["scenario"] == "fanout":
        cmd = re.sub(r"--rate \d+", "--rate <RATE>", cmd)
    return cmd


def why(e, p99_ms):
    r = e.get("result")
    rate = e["params"].get("rate")
    if not r:
        return f"failed at {rate:,}/s ({e.get('error', '?')})"
    parts = []
    if r.get("errors"):
        parts.append(f"{r['errors']} errors")
    if r.get("lost"):
        parts.append(f"{r['lost']:,} lost")
    if r.get("latency_p99_ms", 0) > p99_ms:
        parts.append(f"p99 {r['latency_p99_ms']:.1f} ms")
    if e.get("error") and not parts:
        parts.append(e["error"])
    return f"{', '.join(parts)} at {rate:,}/s"


def sweep(rounds_steps, p99_ms):
    """One server's fan-out sweep over the rounds, given as (round, its
    steps) pairs: per round that ran, the highest offered rate that passed
    (0 if none did), the result at that rate, and why the sweep stopped.
    Returns the three lists (best, at, stops); `at` has no entry for a
    round where nothing passed."""
    best, at, stops = [], [], []
    for rnd, steps in rounds_steps:
        passed = [e for e in steps if sustained(e, p99_ms)]
        if passed:
            top = max(passed, key=lambda e: e["params"]["rate"])
            best.append(top["params"]["rate"])
            at.append(top["result"])
        elif steps:
            best.append(0)
        failed = [e for e in steps if not sustained(e, p99_ms)]
        if failed:
            stops.append(f"r{rnd}: {why(failed[0], p99_ms)}")
        elif steps:
            stops.append(f"r{rnd}: passed every step")
    return best, at, stops


def failures(w, es):
    bad = [e for e in es if e.get("error")]
    if not bad:
        return
    w("Problems in these runs:")
    w("")
    for e in bad:
        w(f"- round {e['round']}, {e['server']} {e['tag']}: {e['error']}")
    w("")


def existing_section(doc_path, heading, sub=None):
    """The body of section `heading` (## level) of the doc, or of its
    subsection `sub` (### level) when given; None if absent or empty."""
    try:
        text = doc_path.read_text()
    except OSError:
        return None
    if heading + "\n" not in text:
        return None
    body = text.split(heading + "\n", 1)[1]
    body = re.split(r"\n## ", body, maxsplit=1)[0]
    if sub is not None:
        if sub + "\n" not in body:
            return None
        body = body.split(sub + "\n", 1)[1]
        body = re.split(r"\n### ", body, maxsplit=1)[0]
    body = body.strip()
    return body or None
