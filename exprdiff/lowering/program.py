"""Straight-line programs: the values and statements code generation builds.

A `Program` is a list of assignments in static single-assignment form, each
computing one `Val` from earlier ones, plus the names the code refers to
(helpers, constants, nodes) bound in the namespace it is executed in.  When
the program is finished, `Program.lines` adds a ``del`` after the last use
of every array, so the generated code keeps no more arrays alive than
hand-written code would.

>>> program = Program()
>>> a = program.argument("a", (3,))
>>> b = program.emit("{0} * 2.0", [a], shape=(3,))
>>> c = program.emit("{0} + {1}", [b, a], shape=(3,))
>>> program.lines([c])
['_1 = a * 2.0', '_2 = _1 + a', 'del _1']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["UNKNOWN", "Program", "Val", "literal"]


class _Unknown:
    """The shape of a value in generic (shape-polymorphic) code."""

    def __repr__(self) -> str:
        return "UNKNOWN"


#: the shape of a value whose shape is only known at run time
UNKNOWN = _Unknown()


class Val:
    """A value of the generated code: its text, its shape, what is known about it.

    ``shape`` is a tuple for an array, None for a scalar (a float or a NumPy
    float64), `UNKNOWN` in generic code.  ``const`` holds the value itself
    when it is known while generating (a constant, the reverse pass's seed),
    so operations on it can be computed then, exactly as at run time.
    ``fresh`` says the value is an array the generated code made itself, not
    a view of or alias to another (so it can be returned without a copy).
    """

    __slots__ = ("text", "shape", "const", "fresh", "index", "residual")

    def __init__(self, text: str, shape: Any, *, const: Any = None, fresh: bool = False,
                 index: int = -1) -> None:
        self.text, self.shape, self.const, self.fresh, self.index = text, shape, const, fresh, index
        self.residual: Val | None = None

    @property
    def is_array(self) -> bool:
        return isinstance(self.shape, tuple)

    def __repr__(self) -> str:
        return f"Val({self.text!r}, {self.shape!r})"


def literal(value: float) -> str | None:
    """Python source for a float, exactly; None for infinities and NaN (bound by name instead).

    >>> literal(0.1), literal(-2.0), literal(float("inf"))
    ('0.1', '(-2.0)', None)
    """
    if not math.isfinite(value):
        return None
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


class Program:
    """Statements computing values, in order, and the namespace their names live in."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, int, tuple[int, ...]]] = []  # (text, target, uses)
        self.vals: list[Val] = []
        self.namespace: dict[str, Any] = {}
        self._bound: dict[int, str] = {}  # id(object) -> name, for objects bound by identity
        self._constants: dict[tuple, str] = {}
        self._computed: dict[str, Val] = {}  # code -> its value: each computed once

    # -- values ------------------------------------------------------------
    def _new(self, text: str | None, shape: Any, **known: Any) -> Val:
        index = len(self.vals)
        val = Val(text if text is not None else f"_{index}", shape, index=index, **known)
        self.vals.append(val)
        return val

    def argument(self, name: str, shape: Any) -> Val:
        """A value the generated function receives or reads before the statements."""
        return self._new(name, shape)

    def constant(self, value: Any, shape: Any, *, fresh: bool = False) -> Val:
        """A value known now: a literal for a finite Python float, else a bound name."""
        text = literal(value) if type(value) is float else None
        if text is None:
            text = self.bind_constant(value)
        return Val(text, shape, const=value, fresh=fresh)

    def emit(self, code: str, operands: list[Val], *, shape: Any, fresh: bool = True,
             targets: int = 1) -> Val:
        """Assign ``code`` (a template over ``{0}``, ``{1}``, ...) to a new value.

        With ``targets=2`` the code gives a pair, unpacked into two values
        (the second is the first's ``residual``).  Code that was emitted
        before (the same template on the same values) gives the value it
        gave then: templates are pure, so that is common-subexpression
        elimination (calls of an operation's own methods, emitted with
        ``fresh=False``, are not merged).
        """
        text = code.format(*[operand.text for operand in operands])
        if targets == 1 and fresh:
            known = self._computed.get(text)
            if known is not None:
                return known
        val = self._new(None, shape, fresh=fresh)
        if targets == 1 and fresh:
            self._computed[text] = val
        uses = tuple(operand.index for operand in operands if operand.index >= 0)
        if targets == 2:
            residual = self._new(None, UNKNOWN if shape is UNKNOWN else None, fresh=fresh)
            val.residual = residual
            self.statements.append((f"{val.text}, {residual.text} = {text}", val.index, uses))
            self.statements.append(("", residual.index, ()))  # its definition, for liveness
        else:
            self.statements.append((f"{val.text} = {text}", val.index, uses))
        return val

    # -- sums and broadcasts (a program over lanes writes these out) ------------------
    def sum_all(self, val: Val) -> Val:
        """The sum of all elements of an array value, as ``ndarray.sum()`` computes it
        (``np.add.reduce`` over every axis, which is what that method calls)."""
        self.namespace["_sum"] = np.add.reduce
        return self.emit("_sum({0}, None)", [val], shape=None)

    def reduce_leading(self, val: Val, axis: Any, shape: tuple) -> Val:
        """The sum over leading axes (``axis`` is 0 or a tuple of them)."""
        return self.emit(f"np.add.reduce({{0}}, axis={axis!r})", [val], shape=shape)

    def broadcast(self, val: Val, shape: tuple) -> Val:
        """A read-only view of ``val`` broadcast to ``shape``."""
        return self.emit(f"np.broadcast_to({{0}}, {shape!r})", [val], shape=shape, fresh=False)

    def text_of(self, val: Val) -> str:
        """The value as one expression (a program over lanes makes an array of them)."""
        return val.text

    def line(self, text: str, uses: list[Val]) -> None:
        """A statement that defines nothing (a check, a return)."""
        self.statements.append((text, -1, tuple(v.index for v in uses if v.index >= 0)))

    # -- the namespace -------------------------------------------------------
    def bind(self, obj: Any, prefix: str) -> str:
        """A name for ``obj`` in the namespace (the same object always gets the same name)."""
        name = self._bound.get(id(obj))
        if name is None:
            name = f"_{prefix}{len(self._bound)}"
            self._bound[id(obj)] = name
            self.namespace[name] = obj
        return name

    def bind_constant(self, value: Any) -> str:
        """A name for a constant value, shared by equal constants (same type and bits)."""
        if isinstance(value, np.ndarray):
            key = ("a", value.shape, value.tobytes()) if value.size <= 64 else ("id", id(value))
        else:
            key = (type(value).__name__, float(value).hex() if value == value else "nan")
        name = self._constants.get(key)
        if name is None:
            name = f"_c{len(self._constants)}"
            self._constants[key] = name
            self.namespace[name] = value
        return name

    # -- output ------------------------------------------------------------
    def lines(self, kept: list[Val]) -> list[str]:
        """The statements, with a ``del`` after the last use of each array not in ``kept``."""
        last_use: dict[int, int] = {}
        for position, (_, _, uses) in enumerate(self.statements):
            for index in uses:
                last_use[index] = position
        keep = {val.index for val in kept}
        defined = {target for _, target, _ in self.statements}
        releases: dict[int, list[str]] = {}
        for index, position in last_use.items():
            val = self.vals[index]
            if index in defined and index not in keep and (val.is_array or val.shape is UNKNOWN):
                releases.setdefault(position, []).append(val.text)
        out = []
        for position, (text, _, _) in enumerate(self.statements):
            if text:
                out.append(text)
            names = releases.get(position)
            if names:
                out.append("del " + ", ".join(names))
        return out
