"""The built-in operations, one class each, holding everything particular to it.

`BUILTIN_OPS` lists them, in the order of their modules; every registry of
operations (the ufunc and NumPy-function tables, the convenience methods, the
classes `load` knows, the SymPy bridge's functions, the docs' list) is derived
from it.  A new operation is its class, listed in its module's ``__all__``,
and one row in the op test table (``tests/op_table.py``).

>>> from exprdiff.ops import BUILTIN_OPS
>>> [op.__name__ for op in BUILTIN_OPS][:6]
['Add', 'Subtract', 'Multiply', 'Divide', 'Power', 'Negate']
"""

from exprdiff.core.nodes import Node, register_ufunc
from exprdiff.ops import (
    activations,
    arithmetic,
    arrays,
    clip,
    conditions,
    elementary,
    fused,
    hyperbolic,
    indexing,
    logarithmic,
    powers,
    reductions,
    rounding,
    selection,
    shaping,
    trigonometric,
)
from exprdiff.ops.activations import *  # noqa: F403
from exprdiff.ops.arithmetic import *  # noqa: F403
from exprdiff.ops.arrays import *  # noqa: F403
from exprdiff.ops.clip import *  # noqa: F403
from exprdiff.ops.conditions import *  # noqa: F403
from exprdiff.ops.elementary import *  # noqa: F403
from exprdiff.ops.hyperbolic import *  # noqa: F403
from exprdiff.ops.indexing import *  # noqa: F403
from exprdiff.ops.logarithmic import *  # noqa: F403
from exprdiff.ops.powers import *  # noqa: F403
from exprdiff.ops.reductions import *  # noqa: F403
from exprdiff.ops.rounding import *  # noqa: F403
from exprdiff.ops.selection import *  # noqa: F403
from exprdiff.ops.shaping import *  # noqa: F403
from exprdiff.ops.trigonometric import *  # noqa: F403

#: the modules of the built-in operations, by family: each lists its operations in ``__all__``
MODULES = (
    arithmetic, elementary, trigonometric, hyperbolic, logarithmic, powers, rounding,
    activations, clip, selection, conditions, arrays, reductions, shaping, indexing,
)

#: modules of operations users do not build: the plan-time rewrites put them in place of
#: the patterns they fuse (`exprdiff.ops.fused`); not in `BUILTIN_OPS`, so not saved,
#: loaded or listed (a rewritten graph is never saved: save keeps the expression as written)
INTERNAL_MODULES = (fused,)

#: every built-in operation class, module by module in the order they are defined
BUILTIN_OPS: tuple[type[Node], ...] = tuple(
    value for module in MODULES for name, value in vars(module).items() if name in module.__all__
)

__all__ = [name for module in MODULES for name in module.__all__]

for _op in BUILTIN_OPS:  # the built-in operations own their ufuncs, NumPy functions, methods
    if _op.ufunc is not None or _op.numpy_functions or _op.reduces is not None \
            or _op.method_name:
        register_ufunc(_op)
del _op
