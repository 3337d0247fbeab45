"""diff and simplify on deep chains with constants like 0.999 (issue 11, item 14).

Run: python bench/bench_symbolic_scale.py [--quick]
Target (issue 11): linear time; `diff` plus `simplify` of a 10^5-node chain in
at most 3 s.  Before, exact Fraction coefficients grew without bound (10k
nodes 3.2 s, 40k 26 s, 100k 141 s) and `check_grads` on the 100k chain did
not finish in 200 s.

Three chains, each of about N nodes: ``lin`` (e*0.999 + 0.001, the
coefficients multiply), ``tanh`` (tanh(e*0.999), a long product of
derivative factors) and ``sin+x`` (sin(e)*0.999 + x).  For each: seconds per
node of ``simplify(chain)`` and of ``diff(chain, w)`` (which simplifies the
derivative), at 10^4 and 10^5 nodes; ``check_grads`` on the 10^5 ``lin``
chain.  ``--quick`` stops at 10^4.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # measure this checkout

from exprdiff import Input, Parameter, Sin, Tanh, check_grads, diff, simplify  # noqa: E402

W, X = Parameter("w"), Input("x")
CHAINS = {
    "lin": (4, lambda e: e * 0.999 + 0.001),
    "tanh": (3, lambda e: Tanh(e * 0.999)),
    "sin+x": (4, lambda e: Sin(e) * 0.999 + X),
}


def chain(kind: str, nodes: int):
    per_link, link = CHAINS[kind]
    expr = W
    for _ in range(nodes // per_link):
        expr = link(expr)
    return expr


def timed(function, *args) -> float:
    """CPU seconds of ``function(*args)``: other processes on the machine do not count."""
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def main() -> None:
    sizes = [10**4] if "--quick" in sys.argv else [10**4, 10**5]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'chain':>6} {'nodes':>7} {'simplify':>10} {'diff':>10} {'both':>8} {'us/node':>8}")
    for kind in CHAINS:
        for nodes in sizes:
            expr = chain(kind, nodes)
            t_simplify = timed(simplify, expr)
            t_diff = timed(diff, expr, W)
            both = t_simplify + t_diff
            print(f"{kind:>6} {nodes:>7} {t_simplify:>9.2f}s {t_diff:>9.2f}s {both:>7.2f}s "
                  f"{both / nodes * 1e6:>8.1f}")
    if "--quick" not in sys.argv:
        expr = chain("lin", 10**5)
        seconds = timed(lambda: check_grads(expr, {W: 0.5}, {X: 0.3}).assert_ok())  # noqa: B023
        print(f"check_grads on the 10^5-node lin chain: {seconds:.1f} s")


if __name__ == "__main__":
    main()
