"""Shared helpers of the training benchmarks: min-of-repeats timing and optional frameworks."""

from __future__ import annotations

import functools
import importlib
import os
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

# measure the checkout these scripts live in, whatever else is installed
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def machine_load() -> str:
    """The 1-, 5- and 15-minute load averages, to print beside every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def best_time(function: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Seconds per call: the minimum over ``repeat`` runs (the least disturbed one)."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def best_times(functions: dict[str, Callable[[], object] | None], repeat: int = 9) -> dict:
    """Seconds per call of each function, runs interleaved round-robin so that a busy moment
    of the machine hits them all alike; the minimum over ``repeat`` rounds.  ``None`` stays."""
    times: dict = {name: float("inf") for name, function in functions.items() if function}
    for _ in range(repeat):
        for name in times:
            times[name] = min(times[name], best_time(functions[name], repeat=1))
    return {name: times.get(name) for name in functions}


def optional(module: str) -> ModuleType | None:
    """The module if it is installed, else None (PyTorch and JAX are optional)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def check_same(name: str, result: list, reference: list, **tolerance: float) -> None:
    """Fail loudly unless a framework's trained weights equal the NumPy reference's."""
    for ours, theirs in zip(result, reference, strict=True):
        if not np.allclose(ours, theirs, **tolerance):
            raise AssertionError(f"{name} ends at other weights than the NumPy reference")


def report(title: str, rows: list[tuple[str, float | None]], baseline: str,
           targets: dict[str, str] | None = None) -> None:
    """Print each row's time and its ratio to the ``baseline`` row (skipped rows say so)."""
    times = dict(rows)
    base = times[baseline]
    targets = targets or {}
    print(f"{title}  [{machine_load()}]")
    for name, seconds in rows:
        if seconds is None:
            print(f"  {name:<34} {'not installed, skipped':>24}")
            continue
        target = f"   (target {targets[name]})" if name in targets else ""
        print(f"  {name:<34} {seconds * 1e3:10.1f} ms {seconds / base:8.2f}x{target}")


def compare(title: str, start: list, *, numpy: Callable, exprdiff: Callable,
            torch: Callable | None = None, jax: Callable | None = None, target: str,
            exact: dict, close: dict, repeat: int = 9, cold: Callable | None = None) -> None:
    """Check that every framework ends at the NumPy reference's weights, then time and report.

    ``numpy``, ``torch`` and ``jax`` train from the ``start`` weights (``torch``
    and ``jax`` also take their module); ``exprdiff`` trains its own model from
    the same weights.  ``exact`` and ``close`` are the tolerances for exprdiff
    and for the other frameworks.  PyTorch gets one thread, like the BLAS.
    """
    reference = numpy(start)
    check_same("exprdiff", exprdiff(), reference, **exact)
    runs: dict = {"hand-written NumPy": lambda: numpy(start), "exprdiff, dense builder": exprdiff}
    if cold is not None:  # a new expression each time: planning and compiling included
        runs["exprdiff, new expression (compiles)"] = cold
    for name, label, trainer in (("torch", "PyTorch eager (1 thread)", torch),
                                 ("jax", "JAX, jit-compiled step", jax)):
        module = optional(name) if trainer is not None else None
        runs[label] = None
        if module is not None:
            if name == "torch":
                module.set_num_threads(1)
            # the first run also compiles JAX's step; the timed runs reuse it
            check_same(label, trainer(module, start), reference, **close)
            runs[label] = functools.partial(trainer, module, start)
    times = best_times(runs, repeat=repeat)
    report(title, list(times.items()), baseline="hand-written NumPy",
           targets={"exprdiff, dense builder": target})
