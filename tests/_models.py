"""Models and graph helpers shared by the drawing, saving, export and code generation tests."""

from __future__ import annotations

import functools

import numpy as np
from op_table import TABLE

from exprdiff import (
    Input,
    Log,
    Parameter,
    Sigmoid,
    Tanh,
    UnaryOp,
    Where,
    optimize,
    topological_order,
)
from exprdiff.gates import gate_data, gate_loss, two_layer_network


class Cube(UnaryOp):
    """A user-defined op (``x**3``), with a NumPy template for export."""

    __slots__ = ()
    numpy_code = "np.power({0}, 3)"

    def forward(self, x):
        return x**3

    def vjp(self, g, x, out):
        return g * 3 * x**2


def two_two_one() -> dict:
    """A 2-2-1 network (tanh hidden layer, sigmoid output) and its cross-entropy loss."""
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    p = {name: Parameter(name) for name in "w11 w12 b1 w21 w22 b2 v1 v2 c".split()}
    h1 = Tanh(p["w11"] * x1 + p["w12"] * x2 + p["b1"])
    h2 = Tanh(p["w21"] * x1 + p["w22"] * x2 + p["b2"])
    output = Sigmoid(p["v1"] * h1 + p["v2"] * h2 + p["c"])
    loss = -(label * Log(output) + (1.0 - label) * Log(1.0 - output))
    rng = np.random.default_rng(0)
    params = {param: float(rng.normal()) for param in p.values()}
    return {"output": output, "loss": loss, "params": params, "x1": x1, "x2": x2,
            "label": label}


@functools.cache
def trained_xor() -> dict:
    """`two_layer_network` (three hidden sigmoids) fitted to XOR by `optimize`, as in the guide."""
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    output, start = two_layer_network(x1, x2, hidden=3, seed=0)
    loss = gate_loss(output, label)
    params = dict(optimize(loss, start, gate_data("XOR", x1, x2, label)))
    data = {node: np.asarray(values, dtype=np.float64)
            for node, values in gate_data("XOR", x1, x2, label, form="arrays").items()}
    return {"output": output, "loss": loss, "params": params, "data": data,
            "x1": x1, "x2": x2, "label": label}


#: ``w*x`` (and ``0.5*w + x``) over every w and x the every-op tests try lie in this range
W_X_RANGE = (0.0, 6.5)


def every_op() -> list[tuple[str, object, dict, dict]]:
    """``(name, expr, params, inputs)`` using each operation of the op table once.

    Each operand is ``w*x`` (the second ``0.5*w + x``, the third ``w + 0.5*x``)
    mapped into the op's domain from the table: for every ``w`` and ``x`` in
    ``(0, 2.5]`` the operands stay where the op is defined and smooth.  A
    condition (boolean values) is taken through a `Where` choosing between the
    first two operands, so that every case has a numeric value; the array
    operations are tested in tests/test_arrays.py and tests/test_array_bridges.py.
    """
    w, x = Parameter("w"), Input("x")
    cases = []
    for name, row in TABLE.items():
        operands = [domain.place(value, *W_X_RANGE)
                    for domain, value in zip(row.domains, [w * x, 0.5 * w + x, w + 0.5 * x])]
        expr = row.build(*operands)
        if row.condition:
            expr = Where(expr, w * x, 0.5 * w + x)
        cases.append((name, expr, {w: 0.7}, {x: 1.3}))
    return cases


def every_op_params() -> list:
    """`every_op` as pytest parameters named by the op."""
    import pytest

    return [pytest.param(*case, id=case[0]) for case in every_op()]


def rebuild(root, replace: dict):
    """A copy of ``root`` with some nodes replaced (``{old: new}``), built iteratively."""
    new = dict(replace)
    for node in topological_order(root):
        if node not in new:
            children = node.children
            if not children:
                new[node] = node
            else:
                settings = {key: getattr(node, key) for key in node.settings}
                new[node] = type(node)(*[new[child] for child in children], **settings)
    return new[root]


def assert_same_graph(a, b) -> None:
    """``a`` and ``b`` have the same structure, sharing, names, settings and constants (bits)."""
    order_a, order_b = topological_order(a), topological_order(b)
    assert len(order_a) == len(order_b)
    index_a = {node: i for i, node in enumerate(order_a)}
    index_b = {node: i for i, node in enumerate(order_b)}
    for node_a, node_b in zip(order_a, order_b, strict=True):
        assert type(node_a) is type(node_b)
        assert [index_a[c] for c in node_a.children] == [index_b[c] for c in node_b.children]
        assert getattr(node_a, "name", None) == getattr(node_b, "name", None)
        for key in node_a.settings:
            assert getattr(node_a, key) == getattr(node_b, key)
        if hasattr(node_a, "value"):
            assert same_bits(node_a.value, node_b.value)


def same_bits(a, b) -> bool:
    """Equal as float64 bit patterns (so NaNs and signed zeros count), shapes included."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def run_program(program, kept: list, arguments: dict) -> list:
    """Execute a `Program`'s lines as a function of ``arguments`` and return the kept values."""
    lines = [program.rename(line) for line in program.lines(kept)]
    names = [program.rename(val.text) for val in kept]
    source = "def f({}):\n".format(", ".join(arguments))
    source += "".join(f"    {line}\n" for line in lines) + f"    return [{', '.join(names)}]\n"
    namespace = dict(program.namespace, np=np)
    exec(source, namespace)  # noqa: S102
    return namespace["f"](**arguments)
