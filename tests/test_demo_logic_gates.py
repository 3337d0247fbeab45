"""The logic-gate demo, run end to end as a user runs it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from exprdiff.gates import GATES

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demos" / "logic_gates.py"
pytestmark = pytest.mark.slow  # each test runs the demo as a program


ENV = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}


def run_demo(*arguments):
    return subprocess.run([sys.executable, str(DEMO), *arguments], capture_output=True,
                          text=True, env=ENV, timeout=300)


def assert_real_picture(path: Path):
    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    assert height >= 200 and width >= 300, f"{path.name} is only {width}x{height}"
    rgb = (image[..., :3] * 255).round().astype(np.int64)
    colours = np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])
    assert image.std() > 0.05 and len(colours) > 50, f"{path.name} is nearly blank"


def test_all_gates_are_learned_and_drawn(tmp_path):
    """The default run learns all six gates, prints their tables and writes 13 real PNGs."""
    result = run_demo("--out", str(tmp_path / "figures"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for gate in GATES:
        kind = "hidden-layer network" if gate in ("XOR", "XNOR") else "perceptron"
        assert f"{gate}: {kind}, gd, learning rate 0.3, 2000 epochs" in out
    assert out.count("; learned") == 6 and "NOT learned" not in out
    # the seed article's trained AND perceptron, row x1 = 1, x2 = 1
    assert " 1   1  0.880797  0.953747       1" in out
    expected = {f"{g.lower()}_{kind}.png" for g in GATES for kind in ("heatmaps", "loss")}
    written = {p.name for p in (tmp_path / "figures").iterdir()}
    assert written == expected | {"loss_curves.png"}
    for name in written:
        assert_real_picture(tmp_path / "figures" / name)


def test_perceptron_on_xor_is_reported_not_learned(tmp_path):
    """--model perceptron --gate xor shows the failure instead of hiding it."""
    result = run_demo("--gate", "xor", "--model", "perceptron", "--epochs", "500",
                      "--optimizer", "adam", "--learning-rate", "0.05", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "XOR: perceptron, adam, learning rate 0.05, 500 epochs" in result.stdout
    assert "NOT learned" in result.stdout and "not learned: XOR" in result.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"xor_heatmaps.png", "xor_loss.png"}


def test_unknown_gate_is_refused_with_the_choices(tmp_path):
    """A misspelt gate exits with status 2 and lists the gates."""
    result = run_demo("--gate", "xr", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "invalid choice: 'xr'" in result.stderr and "xnor" in result.stderr


def test_non_positive_settings_are_refused_by_the_command_line(tmp_path):
    """--epochs 0 and a negative learning rate exit with status 2 naming the option."""
    result = run_demo("--epochs", "0", "--out", str(tmp_path))
    assert result.returncode == 2 and "--epochs: must be positive, got 0" in result.stderr
    result = run_demo("--learning-rate", "-1", "--out", str(tmp_path))
    assert result.returncode == 2 and "--learning-rate: must be positive" in result.stderr


def test_ctrl_c_keeps_the_fit_reached(tmp_path):
    """SIGINT during a long fit stops it, keeps its parameters and still writes its figures."""
    demo = subprocess.Popen(
        [sys.executable, str(DEMO), "--gate", "and", "--epochs", "10000000", "--progress",
         "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    seen = ""
    while "optimize:" not in seen:  # the progress bar is up: the fit has started
        character = demo.stderr.read(1)
        assert character, f"the demo ended early: {seen}"
        seen += character
    time.sleep(1.0)  # some epochs
    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=120)
    assert demo.returncode == 0, err
    assert "interrupted by the user after" in err
    assert "AND: perceptron, gd, learning rate 0.3," in out and "interrupted: stopping here" in out
    assert {p.name for p in tmp_path.iterdir()} == {"and_heatmaps.png", "and_loss.png"}
