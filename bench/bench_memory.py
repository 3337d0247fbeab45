"""Memory of loading a model file and of evaluation plans (issue 11, items 15 and 16).

Run: python bench/bench_memory.py [--quick]
Targets (issue 11):
* `load` peaks at most 5 times the file's size, on a ~20 MB file (it was 28 times);
* the first evaluation of a 10^6-node chain, plan and values together, peaks at
  most 300 bytes per node under tracemalloc (it was 500-900).

The load figure is the growth of the resident set (Linux's VmHWM, reset just
before loading) of a fresh process, or its traced peak where /proc is missing.
``--quick`` measures a 10^5-node chain and a ~5 MB file instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout

from exprdiff import Input, Parameter, Sin, save  # noqa: E402

_LOAD_PEAK = """
import sys, time, tracemalloc
sys.path.insert(0, sys.argv[2])
from exprdiff import load

def resident():  # the resident set now and its peak since the last reset, in bytes
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return tuple(int(fields[key].split()[0]) * 1024 for key in ("VmRSS", "VmHWM"))

start = time.perf_counter()
try:
    open("/proc/self/clear_refs", "w").write("5")
    base, _ = resident()
    load(sys.argv[1])
    _, peak = resident()
    print(peak - base, time.perf_counter() - start, "resident set")
except OSError:
    tracemalloc.start()
    load(sys.argv[1])
    print(tracemalloc.get_traced_memory()[1], time.perf_counter() - start, "tracemalloc")
"""


def load_peak(links: int) -> None:
    """Save sin(...sin(w)*0.999 + x...) and measure loading it in a fresh process."""
    w, x = Parameter("w"), Input("x")
    model = w
    for _ in range(links):
        model = Sin(model) * 0.999 + x
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chain.json"
        save(path, model, {w: 0.5})
        size = path.stat().st_size
        out = subprocess.run([sys.executable, "-c", _LOAD_PEAK, str(path), str(ROOT)],
                             capture_output=True, text=True, check=True).stdout.split()
    peak, seconds, how = int(out[0]), float(out[1]), " ".join(out[2:])
    print(f"load of a {size / 1e6:.1f} MB file ({3 * links + 3} nodes): peak {peak / 1e6:.1f} MB "
          f"= {peak / size:.2f} x the file ({how}), {seconds:.1f} s   (target <= 5 x)")


def plan_peak(nodes: int) -> None:
    """The traced peak of the first evaluation of a chain of ``nodes`` Sin nodes."""
    w = Parameter("w")
    chain = w
    for _ in range(nodes - 1):
        chain = Sin(chain)
    tracemalloc.start()
    start = time.perf_counter()
    base = tracemalloc.get_traced_memory()[0]
    chain({w: 0.5})
    current, peak = tracemalloc.get_traced_memory()
    seconds = time.perf_counter() - start
    tracemalloc.stop()
    print(f"first evaluation of a {nodes:.0e}-node chain: peak {(peak - base) / nodes:.0f} bytes "
          f"per node, plan kept {(current - base) / nodes:.0f} bytes per node, {seconds:.1f} s "
          "under tracemalloc   (target <= 300)")


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    plan_peak(10**5 if quick else 10**6)
    load_peak(40_000 if quick else 160_000)


if __name__ == "__main__":
    main()
