"""python -m exprdiff: show, dot and eval on saved models."""

import importlib
import io
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _models import trained_xor

import exprdiff
from exprdiff import Input, Parameter, Sigmoid, save
from exprdiff.keep.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from the dev extra
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def perceptron(tmp_path):
    """The DESIGN.md perceptron, untrained, saved to a file."""
    x1, x2 = Input("x1"), Input("x2")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    path = tmp_path / "perceptron.json"
    save(path, Sigmoid(w1 * x1 + w2 * x2 + b), {w1: 1.0, w2: 1.0, b: 0.0})
    return path


def run(capsys, *argv):
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_show_prints_formula_inputs_and_parameters(capsys, perceptron):
    """show lists the formula, the inputs and each saved parameter's value."""
    status, out, _ = run(capsys, "show", perceptron)
    assert status == 0
    assert out == ("model: sigmoid(w1*x1 + w2*x2 + b)\ninputs: x1, x2\nparameters:\n"
                   "  w1 = 1.0\n  w2 = 1.0\n  b = 0.0\n")


def test_eval_prints_the_value_and_gradient(capsys, perceptron):
    """eval gives the seed article's number, and --grad the gradient dict's entries."""
    status, out, _ = run(capsys, "eval", perceptron, "--input", "x1=0", "--input", "x2=1",
                         "--grad")
    assert status == 0
    assert out.splitlines() == ["0.7310585786300049", "d/dw1 = 0.0",
                                "d/dw2 = 0.19661193324148185", "d/db = 0.19661193324148185"]


def test_eval_takes_batches_and_parameter_overrides(capsys, perceptron):
    """A JSON list input evaluates a batch; --param overrides a saved value."""
    status, out, _ = run(capsys, "eval", perceptron, "--input", "x1=[0,0,1,1]",
                         "--input", "x2=[0,1,0,1]", "--param", "b=-1.5")
    assert status == 0
    values = [float(v) for v in out.strip().strip("[]").split(",")]
    z = np.array([0.0, 1.0, 1.0, 2.0]) - 1.5
    assert values == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-7)


def test_eval_on_the_trained_xor_network(capsys, tmp_path):
    """The saved trained XOR network classifies the four inputs from the command line."""
    net = trained_xor()
    save(tmp_path / "xor.json", net["output"], net["params"])
    status, out, _ = run(capsys, "eval", tmp_path / "xor.json", "--input", "x1=[0,0,1,1]",
                         "--input", "x2=[0,1,0,1]")
    assert status == 0
    assert [round(float(v)) for v in out.strip().strip("[]").split(",")] == [0, 1, 1, 0]


@pytest.mark.parametrize("argv, message", [
    (["--input", "x3=1"], "no Input named 'x3' (Inputs: x1, x2)"),
    (["--input", "x1=1"], "no value for Input 'x2'"),
    (["--input", "x1=one", "--input", "x2=0"], "value of x1 must be a number"),
    (["--input", "x1"], "expected NAME=VALUE, got 'x1'"),
    (["--param", "x1=1"], "no Parameter named 'x1' (Parameters: w1, w2, b)"),
])
def test_eval_errors_exit_1_with_a_message(capsys, perceptron, argv, message):
    """Bad command-line values exit with status 1 and say what is wrong."""
    status, out, err = run(capsys, "eval", perceptron, *argv)
    assert status == 1 and out == ""
    assert err.startswith("exprdiff eval: error: ") and message in err


def test_corrupt_file_is_reported_not_raised(capsys, tmp_path):
    """A damaged model file exits with status 1 and the loader's message."""
    path = tmp_path / "broken.json"
    path.write_text('{"format": "exprdiff", "version": 9}')
    status, _, err = run(capsys, "show", path)
    assert status == 1 and "version 9, newer than this exprdiff reads" in err


def test_dot_source_prints_boxes_with_values(capsys, perceptron):
    """dot --source prints DOT; with every input given the boxes hold values and grads."""
    status, out, _ = run(capsys, "dot", perceptron, "--source")
    assert status == 0 and out.startswith("digraph expression {") and "value" not in out
    status, out, _ = run(capsys, "dot", perceptron, "--source", "--input", "x1=0",
                         "--input", "x2=1")
    assert "value 0.7311" in out and "grad 0.1966" in out


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_dot_writes_a_picture_beside_the_model(capsys, perceptron):
    """dot FILE writes FILE.svg by default, or the -o file in its format."""
    status, out, _ = run(capsys, "dot", perceptron)
    assert status == 0 and out == f"wrote {perceptron.with_suffix('.svg')}\n"
    assert perceptron.with_suffix(".svg").read_text().lstrip().startswith("<?xml")
    run(capsys, "dot", perceptron, "-o", perceptron.with_name("p.png"))
    assert perceptron.with_name("p.png").read_bytes().startswith(b"\x89PNG")


def test_python_m_exprdiff_runs(perceptron):
    """The module runs as a program: python -m exprdiff show FILE."""
    result = subprocess.run([sys.executable, "-m", "exprdiff", "show", str(perceptron)],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("model: sigmoid(w1*x1 + w2*x2 + b)")


def test_usage_errors_exit_2(capsys):
    """A missing command is an argparse usage error (status 2)."""
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2


def test_user_ops_are_imported_by_module_and_class(capsys, tmp_path):
    """--ops MODULE:CLASS makes a model with a user-defined op loadable; bad specs are named."""
    from _models import Cube

    w = Parameter("w")
    save(tmp_path / "cube.json", Cube(w) + 1, {w: 2.0})
    status, _, err = run(capsys, "eval", tmp_path / "cube.json")
    assert status == 1 and "unknown operation 'Cube'" in err
    status, out, _ = run(capsys, "eval", tmp_path / "cube.json", "--ops", "_models:Cube")
    assert (status, out) == (0, "9.0\n")
    status, out, _ = run(capsys, "show", tmp_path / "cube.json", "--ops", "_models:Cube")
    assert status == 0 and out.startswith("model: cube(w) + 1")
    for spec, message in [("Cube", "expects MODULE:CLASS"), ("no_such_module:Cube", "cannot import"),
                          ("_models:Square", "has no 'Square'")]:
        status, _, err = run(capsys, "eval", tmp_path / "cube.json", "--ops", spec)
        assert status == 1 and message in err


def test_the_guide_commands_run(capsys, perceptron):
    """Each command in docs/keeping.md's command-line block runs and exits 0 on a saved model."""
    page = (ROOT / "docs" / "keeping.md").read_text()
    block = re.search(r"```bash\n(python -m exprdiff .*?)```", page, flags=re.S).group(1)
    commands = [line.split("#")[0].split() for line in block.splitlines() if line.strip()]
    assert len(commands) == 4
    model = perceptron.with_name("and_gate.json")
    perceptron.rename(model)
    for words in commands:
        if words[3] == "dot" and shutil.which("dot") is None:
            continue  # the picture needs Graphviz; the other three do not
        argv = [str(model) if word == "and_gate.json" else word for word in words[3:]]
        if "-o" in argv:
            argv[argv.index("-o") + 1] = str(model.with_suffix(".png"))
        status, out, err = run(capsys, *argv)
        assert status == 0, (shlex.join(words), err)
        assert out or words[3] == "dot"


def test_version_is_the_package_version(capsys):
    """--version prints the one version of the package and exits 0."""
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"exprdiff {exprdiff.__version__}\n"


def test_python_m_exprdiff_and_the_exprdiff_command_are_one_program():
    """[project.scripts] runs the very function python -m exprdiff runs; only the name differs."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module_name, _, function = scripts["exprdiff"].partition(":")
    assert getattr(importlib.import_module(module_name), function) is main
    command = [sys.executable, "-m", "exprdiff"]
    version = subprocess.run([*command, "--version"], capture_output=True, text=True, cwd=ROOT,
                             check=True)
    assert version.stdout == f"exprdiff {exprdiff.__version__}\n"
    usage = subprocess.run([*command, "--help"], capture_output=True, text=True, cwd=ROOT,
                           check=True)
    assert usage.stdout.startswith("usage: python -m exprdiff [-h] [--version] {show,dot,eval}")


def test_the_command_is_named_exprdiff_in_its_help(capsys):
    """main's default program name is the installed command's."""
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("usage: exprdiff [-h] [--version]")


def stdin_with(monkeypatch, data: bytes) -> None:
    """Standard input holding ``data``, as a real (binary-backed) stdin does."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize("argv", [
    ["show"],
    ["eval", "--input", "x1=[0,0,1,1]", "--input", "x2=[0,1,0,1]", "--grad"],
    ["dot", "--source", "--input", "x1=0", "--input", "x2=1"],
])
def test_dash_reads_the_model_from_stdin(capsys, monkeypatch, perceptron, argv):
    """FILE ``-`` reads the model from standard input: the same output as naming the file."""
    expected = run(capsys, argv[0], perceptron, *argv[1:])
    assert expected[0] == 0 and expected[1]
    stdin_with(monkeypatch, perceptron.read_bytes())
    assert run(capsys, argv[0], "-", *argv[1:]) == expected


def test_stdin_from_a_text_stream(capsys, monkeypatch, perceptron):
    """A stdin without a byte buffer (a StringIO standing in) is read as text."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(perceptron.read_text()))
    status, out, _ = run(capsys, "eval", "-", "--input", "x1=0", "--input", "x2=1")
    assert (status, out) == (0, "0.7310585786300049\n")


@pytest.mark.parametrize("data, message", [
    (b"", "<stdin>: not an exprdiff file (invalid JSON"),
    (b"\xff\xfe", "<stdin>: not an exprdiff file (not UTF-8 text"),
    (b'{"format": "exprdiff", "version": 9}', "<stdin>: "),
])
def test_bad_stdin_is_reported_as_stdin(capsys, monkeypatch, data, message):
    """A damaged model on standard input exits 1 with the loader's message naming <stdin>."""
    stdin_with(monkeypatch, data)
    status, out, err = run(capsys, "show", "-")
    assert (status, out) == (1, "")
    assert err.startswith(f"exprdiff show: error: {message}")


def test_dot_from_stdin_needs_an_output(capsys, monkeypatch, perceptron):
    """With the model on stdin there is no file to name the picture after: -o is asked for."""
    stdin_with(monkeypatch, perceptron.read_bytes())
    status, out, err = run(capsys, "dot", "-")
    assert (status, out) == (1, "")
    assert "name the picture file with -o" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("form, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_a_pipe_in_and_a_picture_out(perceptron, form, magic):
    """python -m exprdiff dot - -o - reads the model from a pipe and writes the picture to one."""
    result = subprocess.run(
        [sys.executable, "-m", "exprdiff", "dot", "-", "-o", "-", "--format", form],
        input=perceptron.read_bytes(), capture_output=True, cwd=ROOT, check=False,
    )
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.lstrip().startswith(magic)
    assert not (ROOT / "-").exists()


def test_eval_reads_a_pipe(perceptron):
    """The real standard input of a subprocess: the model piped in, the value printed."""
    result = subprocess.run(
        [sys.executable, "-m", "exprdiff", "eval", "-", "--input", "x1=0", "--input", "x2=1"],
        input=perceptron.read_bytes(), capture_output=True, cwd=ROOT, check=False,
    )
    assert (result.returncode, result.stdout) == (0, b"0.7310585786300049\n")


# -- issue 11.10: a bad file or a bad --input never prints a traceback --------------------------
@pytest.mark.parametrize("value, message", [
    ("x1=" + "9" * 400, "the value of x1, '999"),  # was an OverflowError traceback
    ("x1=" + "[" * 100_000 + "]" * 100_000, "the value of x1 must be a number"),  # RecursionError
    ("x1=[1, [2]]", "the value of x1 must be a number"),
])
def test_bad_inputs_exit_1_with_one_line(capsys, perceptron, value, message):
    """Out-of-range, absurdly nested or ragged values: status 1, one line naming the input."""
    status, out, err = run(capsys, "eval", perceptron, "--input", value, "--input", "x2=0")
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("exprdiff eval: error: ") and message in err


def test_hostile_settings_in_a_file_exit_1_with_one_line(capsys, tmp_path):
    """A Clip bound of 400 digits (once an OverflowError traceback) is one line, status 1."""
    from exprdiff import Clip

    x = Input("x")
    path = tmp_path / "clip.json"
    save(path, Clip(x, 0.0, 1.0))
    path.write_text(path.read_text().replace('"low": 0.0', '"low": -' + "9" * 400))
    for command in ("show", "eval"):
        status, out, err = run(capsys, command, path, *(["--input", "x=1"] if command == "eval" else []))
        assert status == 1 and out == "" and err.count("\n") == 1
        assert "node 1 (Clip): cannot be built from the saved operands: Clip: low -999" in err


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_max_nodes_must_be_a_positive_count(capsys, perceptron, value):
    """--max-nodes 0 silently meant the default 300; now it is a usage error (status 2)."""
    with pytest.raises(SystemExit) as caught:
        main(["dot", str(perceptron), "--source", "--max-nodes", value])
    assert caught.value.code == 2
    assert "--max-nodes" in capsys.readouterr().err


def test_max_nodes_is_honoured(capsys, perceptron):
    """--max-nodes 5 refuses the perceptron's 10 nodes, naming the limit."""
    status, _, err = run(capsys, "dot", perceptron, "--source", "--max-nodes", "5")
    assert status == 1 and "more than max_nodes=5" in err


def test_names_with_line_breaks_keep_show_one_line_per_entry(capsys, tmp_path):
    """A leaf named 'w\\nb = 5' cannot forge an output line: control characters are escaped."""
    w, x = Parameter("w\nb = 5"), Input("x\ty")
    path = tmp_path / "names.json"
    save(path, w * x, {w: 2.0})
    status, out, _ = run(capsys, "show", path)
    assert status == 0
    assert out == ("model: w\\nb = 5*x\\ty\ninputs: x\\ty\nparameters:\n  w\\nb = 5 = 2.0\n")
    status, out, _ = run(capsys, "eval", path, "--input", "x\ty=3", "--grad")
    assert out.splitlines() == ["6.0", "d/dw\\nb = 5 = 3.0"]
