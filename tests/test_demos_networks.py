"""The moons and digits demos, run end to end, reach their accuracies; shape errors come first."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from exprdiff import Input, optimize
from exprdiff.datasets import two_moons
from exprdiff.losses import hinge
from exprdiff.nn import DenseMLP

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}


def run_demo(name, *arguments):
    result = subprocess.run([sys.executable, str(ROOT / "demos" / name), *arguments],
                            capture_output=True, text=True, env=ENV, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def load_demo(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "demos" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_real_picture(path: Path):
    image = matplotlib.image.imread(path)
    assert image.shape[0] >= 300 and image.shape[1] >= 400, f"{path.name} is too small"
    assert image[..., :3].std() > 0.05, f"{path.name} is nearly blank"


@pytest.mark.slow
def test_moons_demo_reaches_full_training_accuracy(tmp_path):
    """micrograd's moons demo (seed 0) reaches 100% training accuracy and draws the boundary."""
    out = run_demo("moons.py", "--out", str(tmp_path))
    steps = re.findall(r"step +(\d+) +loss ([\d.]+) +accuracy (\d+)%", out)
    assert [int(step) for step, _, _ in steps] == [1, *range(10, 101, 10)]
    assert int(steps[-1][2]) == 100
    losses = [float(loss) for _, loss, _ in steps]
    assert losses[-1] < losses[0] / 10
    assert_real_picture(tmp_path / "moons_dense.png")


def test_scalar_and_dense_moons_train_to_the_same_weights(tmp_path):
    """The scalar-style network (one node per weight) trains to the dense one's weights."""
    moons = load_demo("moons")
    dense = moons.main(["--style", "dense", "--out", str(tmp_path)])
    scalar = moons.main(["--style", "scalar", "--out", str(tmp_path)])
    assert dense["accuracy"] == scalar["accuracy"] == 1.0
    np.testing.assert_allclose(dense["losses"], scalar["losses"], rtol=1e-9)
    by_name = {p.name: v for p, v in scalar["params"].items()}
    for param, value in dense["params"].items():
        layer, kind = param.name.split(".")
        for position in np.ndindex(np.shape(value)):
            if kind == "w":
                i, j = position if len(position) == 2 else (position[0], 0)
                name = f"{layer}.neuron{j}.w{i}"
            else:
                name = f"{layer}.neuron{position[0] if position else 0}.b"
            assert by_name[name] == pytest.approx(np.asarray(value)[position], rel=1e-8, abs=1e-10)


@pytest.mark.slow
def test_digits_demo_held_out_accuracy(tmp_path):
    """The digits demo (fixed 80/20 split, seed 0) gets at least 95% of the held-out images right."""
    out = run_demo("digits.py", "--out", str(tmp_path))
    assert "1438 training and 359 held-out images" in out
    train = float(re.search(r"training accuracy ([\d.]+)%", out).group(1))
    held_out = float(re.search(r"held-out accuracy ([\d.]+)%", out).group(1))
    assert held_out >= 95.0 and train >= held_out
    assert_real_picture(tmp_path / "digits_training.png")
    assert_real_picture(tmp_path / "digits_predictions.png")


def test_digits_demo_records_accuracy_over_training(tmp_path):
    """The demo keeps the training and held-out accuracy of every epoch; the last are the
    accuracies it reports."""
    result = load_demo("digits").main(["--epochs", "5", "--out", str(tmp_path)])
    history = result["history"]
    assert [len(values) for values in history.values()] == [5, 5]
    assert history["held out"][-1] == result["test_accuracy"]
    assert history["train"][-1] == result["train_accuracy"]
    assert [path.name for path in result["figures"]] == ["digits_training.png",
                                                         "digits_predictions.png"]


def test_shape_error_comes_before_any_training_step():
    """A (2, 16) first-layer weight fed 5 features fails in optimize before any epoch runs,
    with a ValueError naming the matrix product and both shapes; the params are untouched."""
    X, labels = two_moons(20, seed=0)
    x, y = Input("x"), Input("y")
    score, params = DenseMLP(x, 2, [16, 1], seed=0)
    before = {p: np.copy(v) for p, v in params.items()}
    epochs_run = []
    wide = np.column_stack([X, X, X[:, :1]])  # 5 features
    with pytest.raises(ValueError, match=r"MatMul \(x @ layer0.w\).*\(20, 5\) and \(2, 16\)"):
        optimize(hinge(score, y), params, {x: wide, y: 2.0 * labels - 1}, epochs=5,
                 callback=lambda epoch, fitted, loss: epochs_run.append(epoch))
    assert epochs_run == []
    for param, value in params.items():
        np.testing.assert_array_equal(value, before[param])
