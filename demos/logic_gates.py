"""Logic-gate workbench: fit a model to each two-input gate, print its truth table, save pictures.

The linearly separable gates (AND, OR, NAND, NOR) get the seed article's
perceptron, started at w1 = w2 = 1, b = 0; XOR and XNOR get a network with
one hidden layer (weights seeded by --seed), since no single straight line
separates their outputs.  ``--model perceptron`` shows a perceptron failing
at XOR.  For each gate it writes ``<gate>_heatmaps.png`` (target | before |
after) and ``<gate>_loss.png`` into --out, plus ``loss_curves.png`` comparing
the gates.

Run: python demos/logic_gates.py [--gate xor] [--out out/logic_gates] [--optimizer adam]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from exprdiff import Input, NonFiniteLossError, optimize
from exprdiff.fit.optimizers import OPTIMIZERS
from exprdiff.gates import (
    GATES,
    LINEARLY_SEPARABLE,
    format_truth_table,
    gate_data,
    gate_loss,
    outputs_at_corners,
    perceptron,
    targets,
    two_layer_network,
)
from exprdiff.plot import loss_curve, target_before_after


def positive(kind):
    """An argparse type accepting only positive numbers of ``kind``."""
    def convert(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    convert.__name__ = kind.__name__
    return convert


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gate_names = ["all", *(name.lower() for name in GATES)]
    parser.add_argument("--gate", type=str.lower, choices=gate_names, default="all",
                        help="the gate to learn (default: all of them)")
    parser.add_argument("--out", type=Path, default=Path("out/logic_gates"),
                        help="folder for the PNG files (created if missing)")
    parser.add_argument("--epochs", type=positive(int), default=2000)
    parser.add_argument("--learning-rate", type=positive(float), default=0.3)
    parser.add_argument("--optimizer", type=str.lower, choices=list(OPTIMIZERS), default="gd")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the hidden-layer network's initial weights")
    parser.add_argument("--model", choices=["auto", "perceptron", "network"], default="auto",
                        help="auto: perceptron for separable gates, network for XOR/XNOR")
    parser.add_argument("--progress", action="store_true",
                        help="show a progress bar per fit (Ctrl-C stops a fit and keeps it)")
    return parser.parse_args(argv)


def build_model(gate: str, kind: str, x1: Input, x2: Input, seed: int):
    if kind == "perceptron" or (kind == "auto" and gate in LINEARLY_SEPARABLE):
        return "perceptron", *perceptron(x1, x2)
    return "hidden-layer network", *two_layer_network(x1, x2, seed=seed)


def learn(gate: str, args: argparse.Namespace, x1: Input, x2: Input, label: Input):
    """Fit one gate, print its table, save its figures; return (fit, learned?)."""
    kind, model, params = build_model(gate, args.model, x1, x2, args.seed)
    fitted = optimize(gate_loss(model, label), params, gate_data(gate, x1, x2, label),
                      epochs=args.epochs, learning_rate=args.learning_rate,
                      optimizer=args.optimizer, progress=args.progress)
    before = outputs_at_corners(model, x1, x2, params)
    after = outputs_at_corners(model, x1, x2, fitted)
    learned = bool(np.array_equal(np.round(after), targets(gate)))
    print(f"\n{gate}: {kind}, {args.optimizer}, learning rate {args.learning_rate}, "
          f"{fitted.epochs} epochs")
    print(format_truth_table(gate, before=before, after=after))
    first = fitted.losses[0] if fitted.losses else fitted.final_loss  # empty if Ctrl-C at once
    print(f"mean loss {first:.6f} -> {fitted.final_loss:.6f}; "
          f"{'learned' if learned else 'NOT learned'}")

    name = gate.lower()
    target_before_after(gate, model, x1, x2, params, fitted).savefig(
        args.out / f"{name}_heatmaps.png", dpi=100)
    if fitted.losses:  # none if Ctrl-C came during the first epoch
        figure = Figure(figsize=(5.5, 3.8), layout="constrained")
        loss_curve(fitted, ax=figure.subplots(), title=f"{gate}: training loss")
        figure.savefig(args.out / f"{name}_loss.png", dpi=100)
    return fitted, learned


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    gates = list(GATES) if args.gate == "all" else [args.gate.upper()]
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    fits, failures, errors = {}, [], []
    for gate in gates:
        try:
            fitted, learned = learn(gate, args, x1, x2, label)
        except NonFiniteLossError as error:
            print(f"\n{gate}: {error}")
            errors.append(gate)
            continue
        if fitted.losses:
            fits[gate] = fitted
        if not learned:
            failures.append(gate)
        if fitted.interrupted:
            print("interrupted: stopping here")
            break
    if len(fits) > 1:
        figure = Figure(figsize=(6.5, 4.2), layout="constrained")
        ax = figure.subplots()
        for gate, fitted in fits.items():
            loss_curve(fitted, ax=ax, label=gate, title="training loss per gate")
        figure.savefig(args.out / "loss_curves.png", dpi=100)
    print(f"\nfigures written to {args.out}/")
    if failures:
        print(f"not learned: {', '.join(failures)}")
    if errors:
        print(f"fit failed: {', '.join(errors)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
