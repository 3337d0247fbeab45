"""Straight-line programs: the values and statements code generation builds.

A `Program` is a list of assignments in static single-assignment form, each
computing one `Val` from earlier ones, plus the names the code refers to
(helpers, constants, nodes) bound in the namespace it is executed in.  When
the program is finished, `Program.lines` writes a value that only the next
statement reads into that statement, and gives each other value a local
name that is reused once the value is dead (a register), so the code keeps
no more arrays alive than hand-written code would, and Python compiles a
few dozen locals rather than one per node; `Program.rename` applies those
names to any other text that mentions the values.

>>> program = Program()
>>> a = program.argument("a", (3,))
>>> b = program.emit("{0} * 2.0", [a], shape=(3,))
>>> c = program.emit("{0} + {1}", [b, a], shape=(3,))
>>> d = program.emit("{0} * {0}", [c], shape=(3,))
>>> [program.rename(line) for line in program.lines([d])], program.rename(d.text)
(['_r0 = (a * 2.0) + a', '_r0 = _r0 * _r0'], '_r0')
>>> _is_call("np.cos(_1)"), _is_call("np.cos(_1) + f(_2)")
(True, False)
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

__all__ = ["UNKNOWN", "Program", "Val", "literal", "without_gc"]


def without_gc(function):
    """``function`` run with Python's cyclic garbage collector paused (and then as it was).

    Code generation allocates many small objects and no cycles; pausing the
    collector while it runs saves a fifth of its time.
    """
    import functools
    import gc

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


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
        # (kind, target, code, uses, call): kind 0 assigns ``code`` to value ``target``, 1
        # assigns the pair ``code`` gives to ``target`` and ``target + 1``, 2 is a line as is;
        # ``uses`` are the values it reads; ``call`` says ``code`` is one call ``f(...)``
        self.statements: list[tuple] = []
        self.vals: list[Val] = []
        self.namespace: dict[str, Any] = {}
        self._bound: dict[int, str] = {}  # id(object) -> name, for objects bound by identity
        self._constants: dict[tuple, str] = {}
        self._computed: dict[tuple, Val] = {}  # code -> its value: each computed once
        self._names: dict[str, str] = {}  # placeholder -> register, once `lines` ran
        #: value index -> the index of the array it is the full sum of (`sum_all`)
        self.sums: dict[int, int] = {}
        #: value index -> (template, operand values) of the statement that computes it
        self.origins: dict[int, tuple] = {}

    # -- values ------------------------------------------------------------
    #: whether emitted values get registers (placeholders renamed by `lines`/`rename`)
    registers = True

    def _new(self, text: str | None, shape: Any, **known: Any) -> Val:
        index = len(self.vals)
        if text is None:
            text = f"\x01{index}\x02" if self.registers else f"_{index}"
        val = Val(text, shape, index=index, **known)
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
        texts = [operand.text for operand in operands]
        if targets == 1 and fresh:
            key = (code, *texts)
            known = self._computed.get(key)
            if known is not None:
                return known
        text = code.format(*texts)
        val = self._new(None, shape, fresh=fresh)
        if targets == 1 and fresh:
            self._computed[key] = val
        uses = [operand.index for operand in operands if operand.index >= 0]
        if targets == 1:
            self.origins[val.index] = (code, operands)
        call = _CALLS.get(code)
        if call is None:
            call = _CALLS[code] = _is_call(code)
        if targets == 2:
            residual = self._new(None, UNKNOWN if shape is UNKNOWN else None, fresh=fresh)
            val.residual = residual
            self.statements.append((1, val.index, text, uses, call))
        else:
            self.statements.append((0, val.index, text, uses, call))
        return val

    # -- sums and broadcasts (a program over lanes writes these out) ------------------
    def sum_all(self, val: Val) -> Val:
        """The sum of all elements of an array value, as ``ndarray.sum()`` computes it
        (``np.add.reduce`` over every axis, which is what that method calls)."""
        self.namespace["_sum"] = np.add.reduce
        total = self.emit("_sum({0}, None)", [val], shape=None)
        if val.index >= 0:
            self.sums[total.index] = val.index
        return total

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
        self.statements.append((2, -1, text, [v.index for v in uses if v.index >= 0], False))

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
        """The statements, each value in a register: a local name reused once it is dead.

        ``kept`` are the values read after the statements (the results); they
        keep their registers to the end.  The lines still name values by
        placeholder: `rename` the text they end up in.
        """
        if not self.registers:  # every value keeps its own name
            out = []
            for kind, target, code, _, _ in self.statements:
                if kind == 0:
                    out.append(f"{self.vals[target].text} = {code}")
                elif kind == 1:
                    out.append(f"{self.vals[target].text}, {self.vals[target + 1].text} = {code}")
                else:
                    out.append(code)
            return out
        keep = {val.index for val in kept}
        statements = self.statements = self._inlined(keep)
        last_use: dict[int, int] = {}
        for position, (kind, target, _, uses, _) in enumerate(statements):
            if kind != 2:
                last_use[target] = position  # a value never read dies at once
                if kind == 1:
                    last_use[target + 1] = position
            for index in uses:
                last_use[index] = position
        free: list[str] = []  # registers of dead values, the last freed reused first
        names = self._names
        register: dict[int, str] = {}
        count = 0
        out = []
        vals = self.vals
        for position, (kind, target, code, uses, _) in enumerate(statements):
            dead = []  # registers of arrays read for the last time here
            for index in uses:  # operands dead after this statement lend their registers
                if last_use[index] == position and index not in keep:
                    name = register.pop(index, None)
                    if name is not None:
                        free.append(name)
                        if _big(vals[index]):
                            dead.append(name)
            if kind == 2:
                out.append(code)
            else:
                defined = (target, target + 1) if kind == 1 else (target,)
                for index in defined:
                    if free:
                        name = free.pop()
                    else:
                        name, count = f"_r{count}", count + 1
                    register[index] = name
                    names[f"\x01{index}\x02"] = name
                left = ", ".join(f"\x01{index}\x02" for index in defined)
                out.append(f"{left} = {code}")
                taken = {register[index] for index in defined}
                dead = [name for name in dead if name not in taken]
                for index in defined:
                    if last_use[index] == position and index not in keep:
                        name = register.pop(index)  # never read: free at once
                        free.append(name)
                        if _big(vals[index]):
                            dead.append(name)
            if dead:  # an array nobody reads again goes now, not when its register is reused
                out.append("del " + ", ".join(dead))
        return out

    def _inlined(self, keep: set) -> list:
        """The statements with each value that only the next statement reads written into it.

        ``_1 = np.cos(_0)`` followed by ``_2 = _3 * _1`` becomes ``_2 = _3 * np.cos(_0)``:
        the same operations in the same order, half the assignments to compile and run.
        """
        reads: dict[int, int] = {}
        for _, _, _, uses, _ in self.statements:
            for index in uses:
                reads[index] = reads.get(index, 0) + 1
        out: list = []
        for statement in self.statements:
            kind, target, code, uses, call = statement
            if out and kind == 0:
                before, previous, inner, inner_uses, inner_call = out[-1]
                if (before == 0 and previous not in keep and reads.get(previous) == 1
                        and previous in uses and len(inner) < _INLINE_LENGTH):
                    marker = f"\x01{previous}\x02"
                    if code.count(marker) == 1:
                        code = code.replace(marker, inner if inner_call else f"({inner})")
                        uses = [i for i in uses if i != previous] + inner_uses
                        out[-1] = (0, target, code, uses, call)
                        continue
            out.append(statement)
        return out

    def rename(self, text: str) -> str:
        """``text`` with the values' placeholders replaced by their registers (after `lines`)."""
        if "\x01" not in text:
            return text
        return _PLACEHOLDER.sub(lambda match: self._names[match.group(0)], text)


_PLACEHOLDER = re.compile("\x01[0-9]+\x02")


def _big(val: Val) -> bool:
    """Whether a value may be an array worth freeing at once (not a scalar)."""
    return val.shape is UNKNOWN or (type(val.shape) is tuple and val.shape != ())
_CALLS: dict[str, bool] = {}  # template -> whether it is one call (see `_is_call`)
_CALL = re.compile(r"[A-Za-z_][A-Za-z_0-9.]*\(")


def _is_call(code: str) -> bool:
    """Whether ``code`` is one call, ``f(...)``, which needs no parentheses around it."""
    match = _CALL.match(code)
    if match is None or not code.endswith(")"):
        return False
    depth = 0
    for position in range(match.end() - 1, len(code)):
        depth += {"(": 1, ")": -1}.get(code[position], 0)
        if depth == 0:
            return position == len(code) - 1
    return False
_INLINE_LENGTH = 160  # statements longer than this are not written into the next one
