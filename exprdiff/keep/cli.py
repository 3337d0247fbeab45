"""The ``python -m exprdiff`` command line: look at, draw and evaluate saved models.

``show FILE`` prints the formula, the leaves and the saved parameters;
``dot FILE`` writes the computation-graph picture (or, with ``--source``,
prints its DOT source); ``eval FILE --input name=value ...`` prints the
value, and with ``--grad`` the gradient for every saved parameter.  A
``FILE`` of ``-`` reads the model from standard input, and ``dot -o -``
writes the picture to standard output.  Values on the command line are
JSON numbers or (nested) lists: ``x=0.5``, ``x=[0,1,1]``.  A model using
your own operations needs their classes: ``--ops mypackage.ops:Cube``
(importing that module, as Python would).  Installing exprdiff installs
this program as the ``exprdiff`` command too; ``--version`` prints the
version.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from exprdiff._version import __version__
from exprdiff.core.errors import MissingValueError
from exprdiff.core.names import named_leaves
from exprdiff.core.nodes import Input, Node, Parameter
from exprdiff.core.printing import to_str
from exprdiff.core.values import short_repr
from exprdiff.keep.serialization import load, loads

__all__ = ["main"]

#: the file argument that stands for standard input (and, for ``dot -o``, output)
STDIO = "-"


def main(argv: Sequence[str] | None = None, *, prog: str = "exprdiff") -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    ``prog`` is the program's name in usage and help messages: the
    ``exprdiff`` command's by default, ``python -m exprdiff`` when run so.

    >>> import tempfile, pathlib
    >>> from exprdiff import Input, Parameter
    >>> from exprdiff.keep.serialization import save
    >>> w, x = Parameter("w"), Input("x")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "line.json"
    ...     save(path, w * x + 1, {w: 2.0})
    ...     status = main(["eval", str(path), "--input", "x=3"])
    7.0
    >>> status
    0
    """
    parser = _parser(prog)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except _USER_ERRORS as error:
        # one line, whatever the file or the command line held: never a traceback
        print(f"exprdiff {args.command}: error: {_one_line(str(error))}", file=sys.stderr)
        return 1


#: what a bad file, a bad value or a bad name can raise; each ends the command with status 1
_USER_ERRORS = (ValueError, TypeError, MissingValueError, OSError, RuntimeError, ArithmeticError,
                RecursionError, MemoryError)


def _one_line(text: str) -> str:
    """``text`` with line breaks and other control characters written as escapes (``\\n``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Look at, draw and evaluate saved exprdiff models."
    )
    parser.add_argument("--version", action="version", version=f"exprdiff {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    show = commands.add_parser("show", help="print a saved model's formula and parameters")
    _file_argument(show)
    _ops_option(show)
    show.set_defaults(run=_show)

    dot = commands.add_parser("dot", help="write a saved model's computation-graph picture")
    _file_argument(dot)
    dot.add_argument("-o", "--output", type=Path,
                     help="picture file, - for standard output "
                          "(default: the model file with suffix .svg)")
    dot.add_argument("--format", choices=("svg", "png", "pdf"),
                     help="picture format (default: from the output suffix, else svg)")
    dot.add_argument("--source", action="store_true",
                     help="print the DOT source instead of running Graphviz")
    dot.add_argument("--max-nodes", type=_positive_count, default=None,
                     help="refuse graphs of more distinct nodes (default 300)")
    _value_options(dot)
    dot.set_defaults(run=_dot)

    evaluate = commands.add_parser("eval", help="evaluate a saved model on given inputs")
    _file_argument(evaluate)
    evaluate.add_argument("--grad", action="store_true",
                          help="also print the gradient for every saved parameter")
    _value_options(evaluate)
    evaluate.set_defaults(run=_eval)
    return parser


def _file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path,
                        help=f"the saved model (JSON), {STDIO} to read it from standard input")


def _reads_stdin(path: Path) -> bool:
    return str(path) == STDIO


def _load(args: argparse.Namespace) -> tuple[Node, dict[Parameter, Any]]:
    """The model of the ``file`` argument: a saved file, or standard input for ``-``."""
    ops = _user_ops(args.ops)
    if not _reads_stdin(args.file):
        return load(args.file, ops)
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream standing in for stdin
        return loads(sys.stdin.read(), ops, source="<stdin>")
    try:
        text = stream.read().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"<stdin>: not an exprdiff file (not UTF-8 text: {error})") from None
    return loads(text, ops, source="<stdin>")


def _positive_count(text: str) -> int:
    """A command-line count of at least 1 (``--max-nodes 0`` is an error, not the default)."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {count}")
    return count


def _ops_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ops", action="append", default=[], metavar="MODULE:CLASS",
                        help="a user-defined operation class the model uses (repeatable)")


def _value_options(parser: argparse.ArgumentParser) -> None:
    _ops_option(parser)
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE",
                        help="an Input's value, a JSON number or list (repeatable)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a saved Parameter's value (repeatable)")


def _show(args: argparse.Namespace) -> int:
    expr, params = _load(args)
    leaves = named_leaves(expr)
    # names are data: a line break or other control character in one is shown escaped
    print(f"model: {_one_line(to_str(expr))}")
    inputs = [_one_line(name) for name, node in leaves.items() if isinstance(node, Input)]
    print(f"inputs: {', '.join(inputs) or '(none)'}")
    print("parameters:" if leaves else "parameters: (none)")
    for name, node in leaves.items():
        if isinstance(node, Parameter):
            shown = _format(params[node]) if node in params else "(no saved value)"
            print(f"  {_one_line(name)} = {shown}")
    return 0


def _dot(args: argparse.Namespace) -> int:
    from exprdiff.show.dot import DEFAULT_MAX_NODES, render, to_dot

    expr, params, inputs = _model_and_values(args)
    needed = [node for node in named_leaves(expr).values() if isinstance(node, Input)]
    if not all(node in inputs for node in needed):
        params = inputs = None  # draw the structure only
    options = {"max_nodes": DEFAULT_MAX_NODES if args.max_nodes is None else args.max_nodes}
    if args.source:
        print(to_dot(expr, params, inputs, **options), end="")
        return 0
    output = _picture_file(args)
    if _reads_stdin(output):  # -o -: the picture's bytes to standard output
        with tempfile.TemporaryDirectory() as folder:
            picture = Path(folder) / f"graph.{args.format or 'svg'}"
            render(expr, picture, args.format, params, inputs, **options)
            sys.stdout.flush()
            sys.stdout.buffer.write(picture.read_bytes())
            sys.stdout.buffer.flush()
        return 0
    render(expr, output, args.format, params, inputs, **options)
    print(f"wrote {output}")
    return 0


def _picture_file(args: argparse.Namespace) -> Path:
    """The ``-o`` file, else the model file with the picture format's suffix."""
    if args.output is not None:
        return args.output
    if _reads_stdin(args.file):
        raise ValueError("the model comes from standard input: name the picture file with -o "
                         "(- for standard output) or print the DOT source with --source")
    return args.file.with_suffix(f".{args.format or 'svg'}")


def _eval(args: argparse.Namespace) -> int:
    expr, params, inputs = _model_and_values(args)
    print(_format(expr(params, inputs)))
    if args.grad:
        for param, gradient in expr.grad(params, inputs).items():
            print(f"d/d{_one_line(param.label)} = {_format(gradient)}")
    return 0


def _user_ops(specs: list[str]) -> list[type]:
    """The classes named ``module:Class`` on the command line."""
    classes = []
    for spec in specs:
        module_name, colon, class_name = spec.partition(":")
        if not colon or not module_name or not class_name:
            raise ValueError(f"--ops expects MODULE:CLASS, got {spec!r}")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ValueError(f"--ops {spec}: cannot import {module_name!r}: {error}") from None
        op = getattr(module, class_name, None)
        if op is None:
            raise ValueError(f"--ops {spec}: module {module_name!r} has no {class_name!r}")
        classes.append(op)
    return classes


def _model_and_values(
    args: argparse.Namespace,
) -> tuple[Node, dict[Parameter, Any], dict[Input, Any]]:
    expr, params = _load(args)
    leaves = named_leaves(expr)
    inputs: dict[Input, Any] = {}
    for text, kind in [(text, Input) for text in args.input] + \
            [(text, Parameter) for text in args.param]:
        name, value = _assignment(text)
        node = leaves.get(name)
        if not isinstance(node, kind):
            known = [n for n, leaf in leaves.items() if isinstance(leaf, kind)]
            raise ValueError(
                f"the model has no {kind.__name__} named {name!r} "
                f"({kind.__name__}s: {', '.join(known) or 'none'})"
            )
        (inputs if kind is Input else params)[node] = value
    return expr, params, inputs


def _assignment(text: str) -> tuple[str, float | np.ndarray]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
        array = np.asarray(parsed, dtype=np.float64)
    except (ValueError, TypeError, RecursionError):
        raise ValueError(
            f"the value of {name} must be a number or a list of numbers, got {short_repr(value)}"
        ) from None
    except OverflowError:
        raise ValueError(
            f"the value of {name}, {short_repr(value)}, is out of the float64 range"
        ) from None
    return name, array if array.ndim else float(array)


def _format(value: float | np.ndarray) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ", threshold=20, suppress_small=True)
    return repr(float(value))
