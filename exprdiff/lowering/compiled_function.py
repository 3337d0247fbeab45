"""`compiled`: an expression's compiled code as a callable whose source can be read.

The engine compiles by itself (`exprdiff.lowering.dispatch`); `compiled`
is for seeing what it runs, or for compiling a gradient with respect to
some Parameters only.  It rewrites and lowers the expression at once
(generic code, for any shapes: the code `to_python` exports), and on each
call runs code specialised to the call's shapes, compiled on first use and
kept (`exprdiff.lowering.cache`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from exprdiff.core import interpreter
from exprdiff.core.plan import execution_plan, plan_for
from exprdiff.lowering import switch
from exprdiff.lowering.cache import CodeCache
from exprdiff.lowering.dispatch import compile_for
from exprdiff.lowering.functions import MISS, Generated, engine_function
from exprdiff.lowering.signature import read_leaves

__all__ = ["Compiled", "compiled"]


class Compiled:
    """The compiled code of one expression (made by `compiled`, which explains it).

    >>> from exprdiff import Parameter, compiled
    >>> w = Parameter("w")
    >>> square = compiled(w * w, wrt=[w])
    >>> square({w: 3.0}), isinstance(square, Compiled)
    ((9.0, {Parameter('w'): 6.0}), True)
    """

    def __init__(self, expr: Any, wrt: list | None) -> None:
        self.expr = expr
        self.wrt = wrt
        self._execution = execution = execution_plan(expr)
        graph = execution.graph_of(expr)
        where = {(graph if node is None else node): i for i, node in execution.plan.parameters}
        self._positions = None if wrt is None else [(where.get(p), p) for p in wrt]
        self._cache = CodeCache()
        self._last: Generated | None = None
        positions = self._positions
        if positions is not None and any(i is None for i, _ in positions):
            positions = None  # a rewrite removed a Parameter: its gradient is 0 (interpreted)
            self._generic = None
        else:
            self._generic = engine_function(execution, expr, None, None, positions,
                                            fallback=self._interpreted)

    @property
    def source(self) -> str:
        """The source of the code that ran last (before any call: the generic code)."""
        code = self._last or self._generic
        return code.source if code is not None else ""

    @property
    def generic_source(self) -> str:
        """The code for any shapes, read when it runs: what `to_python` exports."""
        return self._generic.source if self._generic is not None else ""

    def source_for(self, params: Mapping | None = None, inputs: Mapping | None = None) -> str:
        """The source of the code specialised to these values' shapes (compiled if needed)."""
        leaves = self._leaves(params, inputs)
        code = self._specialised(leaves, eager=True) if leaves is not None else None
        return code.source if code is not None else self.generic_source

    def __call__(self, params: Mapping | None = None, inputs: Mapping | None = None) -> Any:
        """The expression's value, or with ``wrt`` ``(value, {parameter: gradient})``.

        The first call with given shapes runs the generic code; from the
        second on, code specialised to those shapes.
        """
        if switch.mode() == "off":
            return self._interpreted(params, inputs, self.expr)
        leaves = self._leaves(params, inputs)
        if leaves is None:
            return self._interpreted(params, inputs, self.expr)  # it explains what is wrong
        code = self._specialised(leaves, eager=False) or self._generic
        if code is None:
            return self._interpreted(params, inputs, self.expr)
        self._last = code
        try:
            result = code(leaves.params, leaves.inputs, self.expr)
        except Exception:  # noqa: BLE001 - the interpreter raises the explained error
            return self._interpreted(params, inputs, self.expr)
        return self._interpreted(params, inputs, self.expr) if result is MISS else result

    def _leaves(self, params: Mapping | None, inputs: Mapping | None) -> Any:
        execution = self._execution
        if execution.plan.root_step is None:
            return None
        return read_leaves(execution.plan, execution.graph_of(self.expr), params, inputs)

    def _specialised(self, leaves: Any, eager: bool) -> Generated | None:
        """The code for these values' signature: compiled on its second call (or ``eager``)."""
        key = leaves.signature
        cache = self._cache
        code = cache.get(key)
        if code is not None or key in cache.failed or not eager and cache.count(key) < 2:
            return code
        positions = self._positions
        if positions is not None and any(i is None for i, _ in positions):
            return None
        kind = "value" if self.wrt is None else "gradient"
        code = compile_for(self._execution, self.expr, leaves, kind, switch.mode(),
                           self._fallback_for, wrt=positions)
        if code is None:
            cache.failed.add(key)
        else:
            cache.store(key, code)
        return code

    def _fallback_for(self, root: Any, params: Any, inputs: Any) -> Any:
        return self._interpreted(params, inputs, root)

    def _interpreted(self, params: Any, inputs: Any, root: Any) -> Any:
        if self.wrt is None:
            return interpreter.evaluate(self.expr, params, inputs)
        value, grads = interpreter.value_and_gradient(self.expr, params, inputs)
        return value, {p: grads[p] for p in self.wrt}

    def __repr__(self) -> str:
        wrt = "" if self.wrt is None else f", wrt={self.wrt!r}"
        return f"compiled({self.expr!r}{wrt})"


def compiled(expr: Any, wrt: Iterable[Any] | None = None) -> Compiled:
    """The compiled code of ``expr``: call it as the expression, and read its ``.source``.

    Without ``wrt`` calling it gives the value, as ``expr(params, inputs)``
    does; with ``wrt`` (Parameters of ``expr``) it gives ``(value,
    {parameter: gradient})``, the gradient only for those.  The expression
    is rewritten and lowered now; each call then runs code specialised to
    its values' shapes (compiled once per shape signature, a few kept), with
    the interpreter's results: see the guide's chapter on compiled evaluation.
    ``.source`` is the code that ran last, ``.generic_source`` the code for
    any shapes (what `exprdiff.to_python` exports).

    >>> import numpy as np
    >>> from exprdiff import Input, Parameter, compiled
    >>> w, x = Parameter("w"), Input("x")
    >>> f = compiled(w * x + w, wrt=[w])
    >>> value, grads = f({w: 3.0}, {x: np.arange(10.0)})  # generic code
    >>> value, grads = f({w: 3.0}, {x: np.arange(10.0)})  # code for these shapes
    >>> value[:3], grads
    (array([3., 6., 9.]), {Parameter('w'): 55.0})
    >>> print(f.source)  # doctest: +ELLIPSIS
    def _compiled(params, inputs, _root):
        try:
            _a0 = params[_k0]
            _a1 = inputs[_k1]
        except (KeyError, TypeError):
            return None  # not these values
        if (type(_a0) is not _float) or (type(_a1) is not _ndarray or ... != (10,)) or ...:
            return None  # values of other kinds or shapes
        _a0 = _f64(_a0)
        _r0 = (_a0 * _a1) + _a0
        _r1 = _c1 + _sum(_a1, None)
        return _r0, _gradients({_k0: float(_r1)})
    <BLANKLINE>
    """
    wrt_list = None
    if wrt is not None:
        wrt_list = list(wrt)
        present = set(plan_for(expr).nodes(expr))
        for param in wrt_list:
            if type(param).leaf_kind != "parameter":
                raise TypeError(f"wrt must list Parameter nodes, got {param!r}")
            if param not in present:
                raise ValueError(f"wrt lists {param!r}, which does not occur in the expression")
    return Compiled(expr, wrt_list)
