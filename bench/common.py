"""What the benchmarks share: the machine's conditions, percentiles, a WebSocket client, and
the result files. Servers are started with the test suite's own process helpers."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).resolve().parent / "results"


def conditions() -> dict[str, Any]:
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(latencies_s: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in latencies_s]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = [max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append(
            "  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths, strict=True))
        )
    return "\n".join(out)


def report_runs(name: str, args: Any, rows: list[dict[str, Any]]) -> None:
    """Print the rows as a table and save them, with the conditions and arguments."""
    print(table(rows, list(rows[0])))
    data = {"conditions": {**conditions(), **vars(args)}, "runs": rows}
    print(f"results: {save(name, data)}")


def client_process(module: str, params: dict[str, Any], *, stdin: bool = False) -> Any:
    """A load client, ``python -m MODULE @params.json``, in a process of its own (the params
    file keeps thousands of tokens off the command line); stdout, and stdin when asked, piped
    as lines of text."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="ezchat-load-", delete=False) as f:
        json.dump(params, f)
    return subprocess.Popen(
        [sys.executable, "-m", module, "@" + f.name],
        cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.PIPE if stdin else None,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def loop_lag_buckets(base: str) -> dict[float, float]:
    """The server's event-loop lag histogram (cumulative counts by upper bound, seconds)."""
    import re
    import urllib.request

    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for le, n in re.findall(r'ezchat_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', text):
        out[float("inf") if le == "+Inf" else float(le)] = float(n)
    return out


def lag_between(before: dict[float, float], after: dict[float, float]) -> dict[str, Any]:
    """p50/p99 of the loop lag observed between two scrapes, as the bucket bounds they fall
    in (ms), and how many probes ran over 50 ms late."""
    delta = {le: after[le] - before.get(le, 0.0) for le in sorted(after)}
    total = delta.get(float("inf"), 0.0)

    def bound(q: float) -> float | None:
        for le, n in delta.items():
            if total and n >= q * total:
                return le * 1000
        return None

    over_50 = total - delta.get(0.05, 0.0)
    return {
        "probes": int(total),
        "p50_le_ms": bound(0.5),
        "p99_le_ms": bound(0.99),
        "over_50ms": int(over_50),
    }
