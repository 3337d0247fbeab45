"""micrograd's moons demo in exprdiff: a 2-16-16-1 ReLU MLP learns to separate two moons.

Max-margin (hinge) loss plus an L2 penalty of 1e-4, plain SGD whose learning
rate decays from 1.0 to 0.109 over 100 full-batch steps, as in micrograd's
demo.ipynb.  It prints the loss and the training accuracy every 10 steps
and saves the decision boundary as a PNG.

Run: python demos/moons.py [--style dense|scalar] [--steps 100] [--seed 0] [--out out]

``--style scalar`` builds the tutorials' network of 337 scalar Parameters,
one node per weight; ``dense`` (the default) one matrix Parameter per layer.
Both start from the same weights and train to the same result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from exprdiff import Input, optimize
from exprdiff.datasets import two_moons
from exprdiff.losses import hinge, l2_penalty
from exprdiff.nn import MLP, DenseMLP


def build(style: str, seed: int):
    """The model's score, its initial params and the Inputs it reads, in either style."""
    if style == "dense":
        x = Input("x")
        score, params = DenseMLP(x, 2, [16, 16, 1], "relu", seed=seed)
        return score, params, x
    x1, x2 = Input("x1"), Input("x2")
    score, params = MLP([x1, x2], [16, 16, 1], "relu", seed=seed)
    return score, params, (x1, x2)


def feed(inputs, X: np.ndarray) -> dict:
    """The inputs dict for points X of shape (n, 2), for either style."""
    if isinstance(inputs, Input):
        return {inputs: X}
    return {inputs[0]: X[:, 0], inputs[1]: X[:, 1]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", choices=["dense", "scalar"], default="dense")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the weights")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the PNG")
    args = parser.parse_args(argv)

    X, labels = two_moons(100, noise=0.1, seed=args.seed)
    score, params, inputs = build(args.style, args.seed)
    y = Input("y")
    data = {**feed(inputs, X), y: 2.0 * labels - 1.0}  # the hinge wants labels -1 and +1
    loss = hinge(score, y) + l2_penalty(params, 1e-4)

    def accuracy(fitted) -> float:
        return float(np.mean((score(fitted, data) > 0) == (labels == 1)))

    def show(epoch, fitted, mean_loss):
        if epoch % 10 == 0 or epoch == 1:
            print(f"step {epoch:3d}  loss {mean_loss:.4f}  accuracy {accuracy(fitted):.0%}")

    print(f"{args.style} 2-16-16-1 MLP, {len(params)} Parameter nodes, "
          f"{sum(np.size(v) for v in params.values())} weights")
    fitted = optimize(loss, params, data, epochs=args.steps, optimizer="gd",
                      learning_rate=lambda epoch: 1.0 - 0.9 * (epoch - 1) / args.steps,
                      callback=show)

    from matplotlib.figure import Figure

    from exprdiff.plot import decision_boundary

    args.out.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(5.5, 4.5), layout="constrained")
    decision_boundary(score, inputs, fitted, X, labels, ax=figure.subplots(),
                      title=f"moons, {args.style} MLP: {accuracy(fitted):.0%} training accuracy")
    path = args.out / f"moons_{args.style}.png"
    figure.savefig(path, dpi=100)
    print(f"wrote {path}")
    return {"accuracy": accuracy(fitted), "losses": fitted.losses, "params": fitted,
            "figure": path}


if __name__ == "__main__":
    main()
