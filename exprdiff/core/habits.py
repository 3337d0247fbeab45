"""Habits from micrograd and PyTorch, met with a message showing the exprdiff way.

Readers of the "autograd from scratch" articles call ``loss.backward()``,
read ``w.grad`` and ``w.data``, and write ``float(loss)``.  exprdiff keeps no
values or gradients on its nodes (a node is an expression; values live in
the ``params`` and ``inputs`` dicts, gradients come back as new dicts), so
each of those habits raises an error whose message shows the call to make
instead.  This module holds those messages and `GradMethod`, what
``node.grad`` is before it is called.

>>> from exprdiff import Parameter
>>> w = Parameter("w")
>>> try:
...     w.grad + 1
... except TypeError as error:
...     print(str(error).splitlines()[0])
w.grad is a method, not a number: exprdiff keeps no gradients on nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from exprdiff.core.plan import topological_order
from exprdiff.core.printing import to_str

__all__ = [
    "GradMethod", "backward_message", "data_message", "grad_misuse_message",
    "needs_values_message", "setattr_message", "zero_grad_message",
]


def _name(node: Any) -> str:
    """How a message calls ``node``: a leaf by its name, an operation by its text."""
    text = to_str(node, limit=40)
    return f"({text})" if any(sign in text for sign in " +-*/@") else text


def backward_message(node: Any) -> str:
    """What ``node.backward()`` says instead of filling in gradients.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> print(backward_message(w * w))
    (w*w).backward() is how micrograd and PyTorch fill in gradients; exprdiff keeps none on
    nodes and computes them when asked:
        grads = loss.grad(params, inputs)        # {Parameter: dloss/dParameter}, a new dict
        node_gradients(loss, params, inputs)     # every node's, inner nodes included
        backprop_steps(loss, params, inputs)     # the reverse pass one node at a time
    """
    return (
        f"{_name(node)}.backward() is how micrograd and PyTorch fill in gradients; exprdiff "
        "keeps none on nodes and computes them when asked:\n"
        "    grads = loss.grad(params, inputs)        # {Parameter: dloss/dParameter}, a new dict\n"
        "    node_gradients(loss, params, inputs)     # every node's, inner nodes included\n"
        "    backprop_steps(loss, params, inputs)     # the reverse pass one node at a time"
    )


def data_message(node: Any) -> str:
    """What reading ``node.data`` says: where that node's value lives in exprdiff.

    >>> from exprdiff import Input, Parameter
    >>> print(data_message(Parameter("w")))
    Parameter 'w' has no .data: a Parameter names a value, it does not hold one. Its value
    is params[w] in the dict you evaluate with, expr(params, inputs); optimize returns a new
    dict of fitted values
    """
    kind = type(node).leaf_kind
    if kind == "parameter":
        where = (f"Its value is params[{node.label}] in the dict you evaluate with, "
                 "expr(params, inputs); optimize returns a new dict of fitted values")
    elif kind == "input":
        where = (f"Its value is inputs[{node.label}] in the dict you evaluate with, "
                 "expr(params, inputs)")
    elif kind == "constant":
        where = "A Constant keeps its number in .value"
    else:
        where = ("An operation's value is computed when asked: expr(params, inputs) for the "
                 "whole expression, node_gradients or backprop_steps for every node's")
    holder = "a Parameter names a value, it does not hold one. " if kind == "parameter" else \
        "an Input names a value, it does not hold one. " if kind == "input" else ""
    return f"{type(node).__name__} {to_str(node, limit=40)!r} has no .data: {holder}{where}"


def grad_misuse_message(node: Any) -> str:
    """What using ``node.grad`` as a number says (``w.grad + 1``, ``p.data -= lr * p.grad``).

    >>> from exprdiff import Parameter
    >>> print(grad_misuse_message(Parameter("w")))
    w.grad is a method, not a number: exprdiff keeps no gradients on nodes.
    Ask the loss for them: grads = loss.grad(params, inputs) returns {Parameter: gradient},
    so the gradient for w is grads[w]; node_gradients(loss, params, inputs)[node] gives an
    inner node's
    """
    name = _name(node)
    return (
        f"{name}.grad is a method, not a number: exprdiff keeps no gradients on nodes.\n"
        "Ask the loss for them: grads = loss.grad(params, inputs) returns {Parameter: gradient}, "
        f"so the gradient for {name} is grads[{name}]; node_gradients(loss, params, inputs)[node] "
        "gives an inner node's"
    )


def zero_grad_message() -> str:
    """What ``zero_grad()`` says: there is nothing to zero.

    >>> print(zero_grad_message())
    zero_grad() has nothing to do in exprdiff: no gradients are kept between calls, so none
    pile up; loss.grad(params, inputs) returns a new dict each time (and optimize runs the
    whole loop)
    """
    return (
        "zero_grad() has nothing to do in exprdiff: no gradients are kept between calls, so "
        "none pile up; loss.grad(params, inputs) returns a new dict each time (and optimize "
        "runs the whole loop)"
    )


def needs_values_message(node: Any, what: str) -> str:
    """What ``float(expr)`` or ``expr.item()`` (``what``) says when leaves need values.

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> print(needs_values_message(w * x + 1, "float()"))
    float() of w*x + 1 needs the values of Parameter 'w' and Input 'x': evaluate it with
    expr(params, inputs), here expr({w: ...}, {x: ...})
    """
    leaves = [n for n in topological_order(node) if type(n).leaf_kind in ("parameter", "input")]
    names = [f"{type(n).__name__} {n.label!r}" for n in leaves]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    params = ", ".join(f"{n.label}: ..." for n in leaves if type(n).leaf_kind == "parameter")
    inputs = ", ".join(f"{n.label}: ..." for n in leaves if type(n).leaf_kind == "input")
    call = f"expr({{{params}}}, {{{inputs}}})" if inputs else f"expr({{{params}}})"
    return (
        f"{what} of {to_str(node, limit=40)} needs the values of {listed}: evaluate it with "
        f"expr(params, inputs), here {call}"
    )


#: what assigning these attributes means elsewhere, and the exprdiff way
_SETTERS = {
    "grad": "exprdiff keeps no gradients on nodes, so there is nothing to set or zero: "
            "loss.grad(params, inputs) returns a new dict each call",
    "data": "a node holds no value: put it in the dict you evaluate with, "
            "params = {**params, w: 1.0}",
    "requires_grad": "gradients are taken for every Parameter and never for an Input or "
                     "Constant: make the node a Parameter to differentiate with respect to it",
}


def setattr_message(node: Any, name: str) -> str:
    """Why an attribute cannot be set on ``node`` (nodes are immutable), with the habit's way.

    >>> from exprdiff import Parameter
    >>> print(setattr_message(Parameter("w"), "grad"))
    Parameter nodes are immutable: cannot set 'grad'; exprdiff keeps no gradients on nodes,
    so there is nothing to set or zero: loss.grad(params, inputs) returns a new dict each
    call
    """
    message = f"{type(node).__name__} nodes are immutable: cannot set {name!r}"
    return f"{message}; {_SETTERS[name]}" if name in _SETTERS else message


class GradMethod:
    """``node.grad`` before it is called: call it, ``grad(params, inputs)``.

    It behaves as the bound method it stands for (calling it returns the
    gradient dict, see `exprdiff.Node.grad`), but using it as a number,
    as micrograd's and PyTorch's ``w.grad`` are used, raises `TypeError`
    with a message showing the exprdiff call.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> (w * w).grad({w: 3.0})
    {Parameter('w'): 6.0}
    >>> w.grad
    <bound method grad of Parameter('w'): call it as grad(params, inputs)>
    """

    __slots__ = ("__self__", "__func__")

    def __init__(self, node: Any, function: Any) -> None:
        object.__setattr__(self, "__self__", node)
        object.__setattr__(self, "__func__", function)

    def __call__(self, params: Mapping | None = None, inputs: Mapping | None = None,
                 **options: Any) -> dict:
        return self.__func__(self.__self__, params, inputs, **options)

    def __repr__(self) -> str:
        return f"<bound method grad of {self.__self__!r}: call it as grad(params, inputs)>"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot set {name!r} on a bound grad method")

    def _misused(self, *_: object) -> NoReturn:
        raise TypeError(grad_misuse_message(self.__self__))

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _misused
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _misused
    __iadd__ = __isub__ = __imul__ = __itruediv__ = _misused
    __neg__ = __pos__ = __abs__ = __float__ = __int__ = __round__ = _misused
    __lt__ = __le__ = __gt__ = __ge__ = __getitem__ = __iter__ = __array__ = _misused

    def __format__(self, spec: str) -> str:
        if spec:  # f"{w.grad:.3f}"
            self._misused()
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GradMethod):
            return self.__self__ is other.__self__
        if isinstance(other, (int, float, complex)) or hasattr(other, "__array__"):
            self._misused()  # assert w.grad == 6
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((GradMethod, id(self.__self__)))


class GradDescriptor:
    """Makes ``node.grad`` a `GradMethod` and leaves ``Node.grad`` the plain function.

    >>> from exprdiff import Node
    >>> Node.grad.__name__
    'grad'
    """

    def __init__(self, function: Any) -> None:
        self.function = function
        self.__doc__ = function.__doc__
        self.__module__ = function.__module__  # doctest finds the example where it is written
        self.__name__ = function.__name__
        self.__qualname__ = function.__qualname__
        self.__wrapped__ = function

    def __get__(self, node: Any, owner: type | None = None) -> Any:
        return self.function if node is None else GradMethod(node, self.function)
