"""A handwritten-digit classifier: a 64-64-10 tanh MLP trained with Adam on scikit-learn's digits.

The 1797 8x8 images ship inside scikit-learn (no download; install the extra
with ``pip install "exprdiff[digits]"``).  A fixed 80/20 split holds out 359
images; the model is a dense MLP (pixel intensities scaled to [0, 1]) with a
softmax cross-entropy loss, fitted by full-batch Adam.  It prints the
training and held-out accuracy, and saves two PNGs: the loss beside the
training and held-out accuracy over the epochs (digits_training.png), and a
grid of held-out digits with the classes predicted for them, mistakes in
red (digits_predictions.png).

Run: python demos/digits.py [--epochs 100] [--learning-rate 0.01] [--seed 0] [--out out]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from exprdiff import Input, optimize
from exprdiff.datasets import digits, train_test_split
from exprdiff.losses import softmax_cross_entropy
from exprdiff.nn import DenseMLP
from exprdiff.plot import accuracy_curve, loss_curve, sample_grid


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the weights")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the PNGs")
    args = parser.parse_args(argv)

    images, labels = digits(scaled=True)
    X_train, X_test, y_train, y_test = train_test_split(
        images, labels, test_fraction=0.2, seed=args.seed)
    x, y = Input("x"), Input("y")
    logits, params = DenseMLP(x, 64, [64, 10], "tanh", seed=args.seed)
    loss = softmax_cross_entropy(logits, y)

    def accuracy(fitted, X, expected) -> float:
        return float(np.mean(np.argmax(logits(fitted, {x: X}), axis=1) == expected))

    print(f"64-64-10 tanh MLP, {sum(v.size for v in params.values())} weights; "
          f"{len(y_train)} training and {len(y_test)} held-out images")
    history: dict[str, list[float]] = {"train": [], "held out": []}

    def record(epoch, fitted, mean_loss):  # accuracy after each epoch, on both sets
        history["train"].append(accuracy(fitted, X_train, y_train))
        history["held out"].append(accuracy(fitted, X_test, y_test))

    fitted = optimize(loss, params, {x: X_train, y: y_train}, epochs=args.epochs,
                      learning_rate=args.learning_rate, optimizer="adam", callback=record)
    train, held_out = accuracy(fitted, X_train, y_train), accuracy(fitted, X_test, y_test)
    print(f"after {args.epochs} epochs: loss {fitted.final_loss:.4f}, "
          f"training accuracy {train:.1%}, held-out accuracy {held_out:.1%}")

    args.out.mkdir(parents=True, exist_ok=True)
    training = args.out / "digits_training.png"
    training_figure(fitted, history).savefig(training, dpi=100)
    predictions = args.out / "digits_predictions.png"
    predicted = np.argmax(logits(fitted, {x: X_test}), axis=1)
    sample_grid(X_test, predicted, y_test, count=32,
                title=f"held-out digits, predicted: {held_out:.1%} of {len(y_test)} right, "
                      f"mistakes in red").savefig(predictions, dpi=100)
    print(f"wrote {training} and {predictions}")
    return {"train_accuracy": train, "test_accuracy": held_out, "params": fitted,
            "history": history, "figures": [training, predictions]}


def training_figure(fitted, history: dict) -> Figure:
    """The loss curve beside the accuracy on the training and held-out images."""
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = figure.subplots(1, 2)
    loss_curve(fitted, ax=left, title="digits: mean cross-entropy")
    for name, values in history.items():
        accuracy_curve(values, ax=right, label=name, title="digits: accuracy")
    return figure


if __name__ == "__main__":
    main()
