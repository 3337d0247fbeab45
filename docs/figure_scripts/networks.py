"""The figures of docs/networks.md, drawn with the code that page shows.

Run: python docs/figure_scripts/networks.py   (writes into docs/figures/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from exprdiff import Input, optimize
from exprdiff.datasets import blobs, digits, train_test_split, two_moons
from exprdiff.losses import hinge, l2_penalty, softmax_cross_entropy
from exprdiff.nn import DenseMLP
from exprdiff.plot import accuracy_curve, decision_boundary, loss_curve, sample_grid


def make(out_dir: str | Path) -> list[Path]:
    """Write the page's PNG files into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x, y = Input("x"), Input("y")
    written = []

    X, labels = two_moons(100, noise=0.1, seed=0)
    dense, dense_params = DenseMLP(x, 2, [16, 16, 1])
    loss = hinge(dense, y) + l2_penalty(dense_params, 1e-4)
    fitted = optimize(loss, dense_params, {x: X, y: 2.0 * labels - 1.0}, epochs=100,
                      optimizer="gd", learning_rate=lambda epoch: 1.0 - 0.9 * (epoch - 1) / 100)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    loss_curve(fitted, ax=left, title="moons: mean hinge loss + L2")
    decision_boundary(dense, x, fitted, X, labels, ax=right, title="moons: after 100 steps")
    fig.savefig(out / "moons.png", dpi=100)
    written.append(out / "moons.png")

    points, classes = blobs(150, centers=3, std=1.5, seed=2)
    logits, start = DenseMLP(x, 2, [8, 3], "tanh", seed=0)
    blob_fit = optimize(softmax_cross_entropy(logits, y), start, {x: points, y: classes},
                        epochs=200, learning_rate=0.05, optimizer="adam")
    accuracy = np.mean(np.argmax(logits(blob_fit, {x: points}), axis=1) == classes)
    fig = Figure(figsize=(6, 4.8), layout="constrained")
    decision_boundary(logits, x, blob_fit, points, classes, ax=fig.subplots(),
                      title=f"three blobs, 2-8-3 tanh MLP: {accuracy:.0%} right")
    fig.savefig(out / "blobs.png", dpi=100)
    written.append(out / "blobs.png")

    images, digit = digits(scaled=True)
    X_train, X_test, y_train, y_test = train_test_split(images, digit, test_fraction=0.2,
                                                        seed=0)
    logits, start = DenseMLP(x, 64, [64, 10], "tanh", seed=0)

    def accuracy(params, X, truth) -> float:
        return float(np.mean(np.argmax(logits(params, {x: X}), axis=1) == truth))

    history: dict[str, list[float]] = {"train": [], "held out": []}

    def record(epoch, params, mean_loss):
        history["train"].append(accuracy(params, X_train, y_train))
        history["held out"].append(accuracy(params, X_test, y_test))

    digits_fit = optimize(softmax_cross_entropy(logits, y), start, {x: X_train, y: y_train},
                          epochs=100, learning_rate=0.01, optimizer="adam", callback=record)
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    loss_curve(digits_fit, ax=left, title="digits: mean cross-entropy")
    for name, values in history.items():
        accuracy_curve(values, ax=right, label=name, title="digits: accuracy")
    fig.savefig(out / "digits_training.png", dpi=100)
    written.append(out / "digits_training.png")

    predicted = np.argmax(logits(digits_fit, {x: X_test}), axis=1)
    fig = sample_grid(X_test, predicted, y_test, count=24,
                      title=f"held-out digits, predicted: {history['held out'][-1]:.1%} of "
                            f"{len(y_test)} right, mistakes in red")
    fig.savefig(out / "digits_predictions.png", dpi=100)
    written.append(out / "digits_predictions.png")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "figures"
    for path in make(target):
        print(path)
