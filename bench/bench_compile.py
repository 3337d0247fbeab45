"""Compile time: `compiled(expr, wrt=...)` of graphs from 10^3 to 3*10^4 nodes.

Run: python bench/bench_compile.py [--repeats 3]

For each size a fresh graph is built (not timed), then timed:

* ``compiled(expr, wrt=params)``: plan, plan-time rewrites, lowering of the
  forward and reverse pass to generic code, ``exec``;
* its first call on a batch: the specialised code for that shape signature
  (a run of the plan to learn every shape, lowering again, ``exec``) and
  the run itself.

Two kinds of graph: a chain (``sin`` and products, each step sharing a
Parameter) and a wide scalar-node MLP with tanh units.  Target (issue 13):
at most 1 s for 10^4 nodes, and linear in size (constant time per node).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from timing import machine_load

from exprdiff import Input, Parameter, Sin, Tanh, compiled, topological_order


def chain(size: int):
    w, v, x = Parameter("w"), Parameter("v"), Input("x")
    node = w * x
    for k in range(size // 3):
        node = Sin(node) * v + w if k % 2 else Sin(node * w) + v
    return node, {w: 0.5, v: 0.25}, {x: np.linspace(0.0, 1.0, 16)}


def wide(size: int):
    """A scalar-node MLP (two tanh layers) with about ``size`` nodes."""
    inputs = [Input(f"x{i}") for i in range(4)]
    width = max(2, int((size / 4) ** 0.5))
    params, layer = {}, list(inputs)
    for depth in range(2):
        new = []
        for j in range(width):
            terms = []
            for i, node in enumerate(layer):
                p = Parameter(f"l{depth}.n{j}.w{i}")
                params[p] = 0.1 * ((i + j) % 5 - 2)
                terms.append(p * node)
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            new.append(Tanh(total))
        layer = new
    out = layer[0]
    for node in layer[1:]:
        out = out + node
    return out, params, {x: np.linspace(-1.0, 1.0, 16) for x in inputs}


def measure(build, size: int, repeats: int) -> tuple[int, float, float]:
    best_compile = best_first = float("inf")
    nodes = 0
    for _ in range(repeats):
        expr, params, inputs = build(size)
        nodes = len(topological_order(expr))
        start = time.perf_counter()
        function = compiled(expr, wrt=list(params))
        middle = time.perf_counter()
        function(params, inputs)
        end = time.perf_counter()
        best_compile = min(best_compile, middle - start)
        best_first = min(best_first, end - middle)
    return nodes, best_compile, best_first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    print(f"compiled(expr, wrt=...) and its first call, best of {repeats}  [{machine_load()}]")
    print(f"  {'graph':6s} {'nodes':>7s} {'compiled()':>11s} {'per node':>9s} "
          f"{'first call':>11s} {'per node':>9s}")
    for name, build in (("chain", chain), ("wide", wide)):
        for size in (1_000, 3_000, 10_000, 30_000):
            nodes, t_compile, t_first = measure(build, size, repeats)
            print(f"  {name:6s} {nodes:7d} {t_compile:10.3f}s {t_compile / nodes * 1e6:7.1f}us "
                  f"{t_first:10.3f}s {t_first / nodes * 1e6:7.1f}us")
    print("target: <= 1 s at 10^4 nodes, linear in size")


if __name__ == "__main__":
    main()
