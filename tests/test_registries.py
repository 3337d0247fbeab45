"""Every registry of operations is derived from exprdiff.ops.BUILTIN_OPS, and equals it."""

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest
from docs_scripts import DOCS
from op_table import example

import exprdiff
import exprdiff.ops
from exprdiff import BinaryOp, Input, NaryOp, Node, UnaryOp
from exprdiff.core import nodes
from exprdiff.keep import serialization
from exprdiff.ops import BUILTIN_OPS

NAMES = [op.__name__ for op in BUILTIN_OPS]


def test_the_list_is_every_operation_class_of_the_op_modules():
    """BUILTIN_OPS holds each operation class defined in an exprdiff.ops module, once."""
    internal = {module.__name__.rpartition(".")[2] for module in exprdiff.ops.INTERNAL_MODULES}
    modules = {info.name for info in pkgutil.iter_modules(exprdiff.ops.__path__)} - internal
    assert {module.__name__.rpartition(".")[2] for module in exprdiff.ops.MODULES} == modules
    defined = [
        value for name in sorted(modules)
        for value in vars(importlib.import_module(f"exprdiff.ops.{name}")).values()
        if inspect.isclass(value) and issubclass(value, Node) and not value.__name__.startswith("_")
        and value.__module__ == f"exprdiff.ops.{name}"
    ]
    assert sorted(defined, key=lambda op: op.__name__) == sorted(BUILTIN_OPS, key=lambda op: op.__name__)
    assert len(set(NAMES)) == len(NAMES)
    assert all(issubclass(op, (UnaryOp, BinaryOp, NaryOp)) for op in BUILTIN_OPS)


def test_exprdiff_exports_every_operation():
    """exprdiff.ops and exprdiff offer every built-in operation under its class name."""
    assert sorted(exprdiff.ops.__all__) == sorted(NAMES)
    assert set(NAMES) <= set(exprdiff.__all__)
    assert all(getattr(exprdiff, name) is op for name, op in zip(NAMES, BUILTIN_OPS))


def test_load_knows_exactly_the_builtin_operations():
    """The classes load finds by name are BUILTIN_OPS, not whatever exprdiff exports."""
    assert serialization.builtin_ops() == dict(zip(NAMES, BUILTIN_OPS))
    assert "GradientDescent" in exprdiff.__all__ and "GradientDescent" not in serialization.builtin_ops()


@pytest.mark.parametrize("op", BUILTIN_OPS, ids=NAMES)
def test_each_operation_loads_by_its_name(op):
    """A saved node of each built-in operation loads back as that class, without ops=."""
    node = example(op, Input("x"), Input("y"), Input("z"))
    loaded, _ = serialization.loads(serialization.dumps(node))
    assert type(loaded) is op
    assert [getattr(loaded, key) for key in op.settings] == [getattr(node, key) for key in op.settings]


@pytest.mark.parametrize("op", BUILTIN_OPS, ids=NAMES)
def test_the_sympy_bridge_knows_each_operation_both_ways(op):
    """to_sympy writes each elementwise op and from_sympy reads it back: as that class when it
    has no settings (and is not a where, SymPy's Piecewise), else as an expression of the same
    value; a condition comes back as itself and Isnan (never true of SymPy's real symbols) as
    false; the ops that are not elementwise are refused by name."""
    pytest.importorskip("sympy")
    a, b, c = exprdiff.Parameter("a"), exprdiff.Parameter("b"), exprdiff.Parameter("c")
    node = example(op, a, b, c)
    if not op.elementwise:
        with pytest.raises(ValueError, match=f"not {op.__name__}"):
            exprdiff.to_sympy(node)
        return
    back = exprdiff.from_sympy(exprdiff.to_sympy(node), [a, b, c])
    values = {a: 0.3, b: 0.6, c: -0.2}
    if op.__name__ == "Isnan":
        assert back.equals(exprdiff.Constant(0.0))
        return
    if not op.settings and op.arity in (1, 2):
        assert type(back) is op
    with np.errstate(invalid="ignore"):  # arccosh(0.3) is NaN, in SymPy's form too
        np.testing.assert_allclose(back(values), node(values), rtol=1e-15)


def test_the_ufunc_table_holds_the_builtin_operations_ufuncs():
    """np.<ufunc>(node) builds each built-in operation that names a ufunc (test_ufunc_table.py:
    user operations join only when registered)."""
    x, y = Input("x"), Input("y")
    owned = {op.ufunc: op for op in BUILTIN_OPS if op.ufunc is not None}
    assert len(owned) == len([op for op in BUILTIN_OPS if op.ufunc is not None])
    # aliases (np.radians beside np.deg2rad, np.rint for Round) build their op too
    owned.update((f, op) for op in BUILTIN_OPS for f in op.numpy_functions
                 if isinstance(f, np.ufunc))
    for ufunc, op in owned.items():
        built = ufunc(x) if ufunc.nin == 1 else ufunc(x, y)
        assert type(built) is op
    assert {u: op for u, op in nodes._OPERATION_FOR_UFUNC.items() if op in BUILTIN_OPS} == owned


def test_the_docs_op_list_is_the_builtin_operations():
    """docs/api.md's table of built-in operations lists BUILTIN_OPS, in order."""
    text = (DOCS / "api.md").read_text()
    section = text.split("# Built-in operations", 1)[1].split("\n# ", 1)[0]
    assert re.findall(r"^\| `(\w+)` \|", section, flags=re.M) == NAMES
