"""Every function, method and property of the public API carries complete type hints.

The public API is what docs/api.md documents: the names of ``exprdiff`` and of
the toolkit modules imported by name, plus the command line's ``main``.
tests/test_packaging.py checks what these hints give a user's ``mypy
--strict`` script; this test finds a missing hint at once, by name.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

from docs_scripts import load_docs_script

import exprdiff
from exprdiff.core.nodes import BinaryOp, Node, UnaryOp
from exprdiff.keep.cli import main

PACKAGE = Path(exprdiff.__file__).parent
MODULES = ["exprdiff", *load_docs_script("make_api.py").BY_MODULE]
#: the per-op rule methods (forward, derivatives, where a where selects, SymPy forms, the mapping
#: of NumPy's arguments, rewrites and shape-specialised code): their hints are the bases' (Any
#: in, Any out); the engines call them, users do not
RULES = {"forward", "vjp", "vjp_lhs", "vjp_rhs", "partial", "selected", "sympy_form",
         "sympy_derivative", "from_numpy", "rewrite", "specialized_code", "with_children"}


def public_functions() -> dict[str, Callable]:
    """Each public function, method and property, by the qualified name of its definition."""
    found = [main]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                found.append(obj)
            elif inspect.isclass(obj):
                found.extend(members(obj))
    return {f"{function.__module__}.{function.__qualname__}": function for function in found
            if hasattr(function, "__code__")  # not a C accessor (a NamedTuple field's getter)
            and Path(function.__code__.co_filename).is_relative_to(PACKAGE)}  # not generated


def members(cls: type) -> Iterator[Callable]:
    """The public methods, special methods and properties of ``cls``, its own and those it
    inherits from exprdiff's classes."""
    built_in_op = issubclass(cls, Node) and cls not in (Node, UnaryOp, BinaryOp)
    for base in cls.__mro__:
        if not base.__module__.startswith("exprdiff"):
            continue
        for attr, member in vars(base).items():
            if attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__")):
                continue  # private; special methods (operators, __call__, ...) are public
            if built_in_op and base not in (Node, UnaryOp, BinaryOp) and attr in RULES:
                continue
            if isinstance(member, property):
                yield member.fget
            elif isinstance(member, (staticmethod, classmethod)):
                yield member.__func__
            elif inspect.isfunction(member):
                yield member
            elif inspect.isfunction(getattr(member, "__wrapped__", None)):
                yield member.__wrapped__  # a descriptor around a method (Node.grad)


def missing_hints(function: Callable) -> list[str]:
    """The parameters (and ``"return"``) of ``function`` that have no annotation."""
    signature = inspect.signature(function)
    missing = [
        parameter.name for i, parameter in enumerate(signature.parameters.values())
        if parameter.annotation is inspect.Parameter.empty
        and not (i == 0 and parameter.name in ("self", "cls"))
    ]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_public_api_is_completely_annotated():
    """No public function, method or property lacks a parameter or return annotation."""
    gaps = {name: missing for name, function in public_functions().items()
            if (missing := missing_hints(function))}
    assert gaps == {}


def test_the_walk_reaches_the_whole_api():
    """The check covers the entry points of DESIGN.md, methods and toolkit functions alike."""
    names = set(public_functions())
    assert {
        "exprdiff.fit.training.optimize", "exprdiff.core.nodes.Node.__call__",
        "exprdiff.core.nodes.Node.grad", "exprdiff.core.nodes.Node.__add__",
        "exprdiff.core.nodes._NamedLeaf.__init__", "exprdiff.fit.training.FitResult.epochs",
        "exprdiff.fit.optimizers.Adam.step", "exprdiff.core.nodes.UnaryOp.vjp",
        "exprdiff.nn.MLP", "exprdiff.gates.perceptron", "exprdiff.truth_tables.gate_data",
        "exprdiff.plot.decision_heatmap", "exprdiff.keep.cli.main",
    } <= names
    assert "exprdiff.ops.activations.Sigmoid.vjp" not in names
    assert len(names) > 100


def test_a_missing_hint_is_found():
    """The checker names each unannotated parameter and a missing return annotation."""
    def half_typed(self, x: int, y, *rest, key=None, **options: str):
        return x

    def typed(x: float = 0.0) -> float:
        return x

    assert missing_hints(half_typed) == ["y", "rest", "key", "return"]
    assert missing_hints(typed) == []
    assert exprdiff.__version__  # the package under test is importable
