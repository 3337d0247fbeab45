"""The built-in operations, one class each, holding everything particular to it.

`BUILTIN_OPS` lists them, in the order of their modules; every registry of
operations (the ufunc table, the classes `load` knows, the SymPy bridge's
functions, the docs' list) is derived from it.  A new operation is its class,
listed in its module's ``__all__``, and one row in the op test table
(``tests/op_table.py``).

>>> from exprdiff.ops import BUILTIN_OPS
>>> [op.__name__ for op in BUILTIN_OPS][:6]
['Add', 'Subtract', 'Multiply', 'Divide', 'Power', 'Negate']
"""

from exprdiff.core.nodes import Node, register_ufunc
from exprdiff.ops import activations, arithmetic, arrays, clip, elementary
from exprdiff.ops.activations import *  # noqa: F403
from exprdiff.ops.arithmetic import *  # noqa: F403
from exprdiff.ops.arrays import *  # noqa: F403
from exprdiff.ops.clip import *  # noqa: F403
from exprdiff.ops.elementary import *  # noqa: F403

#: the modules of the built-in operations: each lists its operations in ``__all__``
MODULES = (arithmetic, elementary, activations, clip, arrays)

#: every built-in operation class, module by module in the order they are defined
BUILTIN_OPS: tuple[type[Node], ...] = tuple(
    value for module in MODULES for name, value in vars(module).items() if name in module.__all__
)

__all__ = []
__all__ += arithmetic.__all__
__all__ += elementary.__all__
__all__ += activations.__all__
__all__ += clip.__all__
__all__ += arrays.__all__

for _op in BUILTIN_OPS:  # the built-in operations own their ufuncs and NumPy functions
    if _op.ufunc is not None or _op.numpy_functions or _op.reduces is not None:
        register_ufunc(_op)
del _op
