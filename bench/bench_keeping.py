"""Exported NumPy code beside the engine and hand-written NumPy; save/load of a deep graph.

Run: python bench/bench_keeping.py
No target: issue 6 sets none. The figures say what exporting buys (the
generated function skips the engine's bookkeeping) and what saving costs.
"""

from __future__ import annotations

import sys
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grad import X1_DATA, X2_DATA, best_time, by_hand  # noqa: E402

from exprdiff import Input, Parameter, Sin, load, save, to_python  # noqa: E402
from exprdiff.gates import perceptron  # noqa: E402


def export_against_engine() -> None:
    x1, x2 = Input("x1"), Input("x2")
    model, params = perceptron(x1, x2)  # the seed article's start: w1 = w2 = 1, b = 0
    inputs = {x1: X1_DATA, x2: X2_DATA}
    namespace: dict = {}
    exec(to_python(model, wrt=list(params)), namespace)
    exported = namespace["model"]
    values = {"w1": 1.0, "w2": 1.0, "b": 0.0, "x1": X1_DATA, "x2": X2_DATA}
    _, grads = exported(**values)
    assert np.allclose(list(grads.values()), list(by_hand(1.0, 1.0, 0.0).values()), rtol=1e-14)

    t_engine = best_time(lambda: model.grad(params, inputs))
    t_export = best_time(lambda: exported(**values))
    t_hand = best_time(lambda: by_hand(1.0, 1.0, 0.0))
    print("AND perceptron, 4-sample batch, value and gradient")
    print(f"  exprdiff grad        {t_engine * 1e6:8.1f} us   {t_engine / t_hand:6.2f}x NumPy")
    print(f"  to_python function   {t_export * 1e6:8.1f} us   {t_export / t_hand:6.2f}x NumPy")
    print(f"  hand-written NumPy   {t_hand * 1e6:8.1f} us")


def save_load_deep_chain(depth: int = 100_000) -> None:
    w = Parameter("w")
    chain = w
    for _ in range(depth):
        chain = Sin(chain)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chain.json"
        t_save = min(timeit.repeat(lambda: save(path, chain, {w: 1.0}), number=1, repeat=3))
        t_load = min(timeit.repeat(lambda: load(path), number=1, repeat=3))
        size = path.stat().st_size
    start = time.perf_counter()
    source = to_python(chain, wrt=[w])
    t_write = time.perf_counter() - start
    print(f"chain of {depth} Sin nodes ({size / 1e6:.1f} MB file)")
    print(f"  save                 {t_save:8.2f} s   ({t_save / depth * 1e6:.1f} us per node)")
    print(f"  load                 {t_load:8.2f} s   ({t_load / depth * 1e6:.1f} us per node)")
    print(f"  to_python with wrt   {t_write:8.2f} s   ({len(source) / 1e6:.1f} MB of source)")


if __name__ == "__main__":
    export_against_engine()
    save_load_deep_chain()
