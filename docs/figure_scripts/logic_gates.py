"""The figures of docs/logic_gates.md, drawn with the code that page shows.

Run: python docs/figure_scripts/logic_gates.py   (writes into docs/figures/)
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

from exprdiff import Input, Log, Parameter, Sigmoid, optimize
from exprdiff.gates import gate_data, gate_loss, two_layer_network
from exprdiff.gates import perceptron as make_perceptron
from exprdiff.plot import loss_curve, target_before_after
from exprdiff.show.animation import animate_fit


def make(out_dir: str | Path) -> list[Path]:
    """Write the page's PNG files into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    perceptron = Sigmoid(w1 * x1 + w2 * x2 + b)
    loss = -(label * Log(perceptron) + (1.0 - label) * Log(1.0 - perceptron))
    params = {w1: 1.0, w2: 1.0, b: 0.0}
    and_gate = gate_data("AND", x1, x2, label)
    written = []

    def save(fig: Figure, name: str) -> None:
        fig.savefig(out / name, dpi=100)
        written.append(out / name)

    fitted = optimize(loss, params, and_gate, epochs=2000, learning_rate=0.3)
    save(target_before_after("AND", perceptron, x1, x2, params, fitted), "and_heatmaps.png")

    model, start = make_perceptron(x1, x2)
    stuck = optimize(gate_loss(model, label), start, gate_data("XOR", x1, x2, label))
    save(target_before_after("XOR", model, x1, x2, start, stuck), "xor_perceptron_heatmaps.png")

    network, start = two_layer_network(x1, x2, hidden=3, seed=0)
    learned = optimize(gate_loss(network, label), start, gate_data("XOR", x1, x2, label))
    save(target_before_after("XOR", network, x1, x2, start, learned), "xor_heatmaps.png")

    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    ax = loss_curve(fitted, ax=ax, label="AND, perceptron")
    ax = loss_curve(stuck, ax=ax, label="XOR, perceptron")
    ax = loss_curve(learned, ax=ax, label="XOR, hidden layer")
    save(fig, "loss_curves.png")

    # the AND perceptron learning, as an animated heatmap beside its loss curve
    gif = out / "and_fit.gif"
    animate_fit(loss, params, and_gate, gif, model=perceptron, x1=x1, x2=x2, gate="AND",
                frames=21, epochs=2000, learning_rate=0.3, resolution=51, dpi=72)
    written.append(gif)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "figures"
    for path in make(target):
        print(path)
