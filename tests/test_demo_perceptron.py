"""demos/perceptron.py prints the untrained perceptron's values and gradients."""

import runpy
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "demos" / "perceptron.py"


def test_prints_the_article_values_and_gradients(capsys):
    """The four rows show the seed article's outputs and the gradient dicts of DESIGN.md."""
    runpy.run_path(str(DEMO), run_name="__main__")
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[3:]]
    assert [row[2] for row in rows] == ["0.500000", "0.731059", "0.731059", "0.880797"]
    assert rows[1][3:] == ["{w1:", "0.000000,", "w2:", "0.196612,", "b:", "0.196612}"]
