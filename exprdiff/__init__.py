"""exprdiff: write a model down as an expression, then evaluate, differentiate, fit and draw it.

>>> from exprdiff import Input, Parameter, Sigmoid
>>> x1, x2 = Input("x1"), Input("x2")
>>> w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
>>> perceptron = Sigmoid(w1 * x1 + w2 * x2 + b)
>>> perceptron({w1: 1.0, w2: 1.0, b: 0.0}, {x1: 0, x2: 1})
0.7310585786300049
"""

from exprdiff import ops
from exprdiff._version import __version__ as __version__
from exprdiff.backends.jax_backend import to_jax
from exprdiff.backends.names import params_by_name, params_from_names
from exprdiff.backends.torch_backend import to_torch
from exprdiff.core.errors import MissingValueError
from exprdiff.core.interpreter import jacobian, node_gradients, value_and_gradient
from exprdiff.core.nodes import (
    BinaryOp,
    Constant,
    Input,
    NaryOp,
    Node,
    Parameter,
    UnaryOp,
    as_node,
    register_ufunc,
)
from exprdiff.core.plan import topological_order
from exprdiff.fit.newton_method import Newton, NewtonResult, newton
from exprdiff.fit.optimizers import Adam, GradientDescent, Momentum, Optimizer
from exprdiff.fit.training import FitResult, NonFiniteLossError, optimize
from exprdiff.keep.export import to_python
from exprdiff.keep.serialization import load, save
from exprdiff.keep.sympy_bridge import from_sympy, to_sympy
from exprdiff.lowering.compiled_function import Compiled, compiled

# the operations (exprdiff.ops.BUILTIN_OPS), module by module so type checkers see them
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
from exprdiff.show.backprop import BackpropStep, backprop_steps
from exprdiff.show.dot import render, to_dot
from exprdiff.show.graph_frames import backprop_frames
from exprdiff.show.latex import to_latex
from exprdiff.show.notebook import draw
from exprdiff.show.notebook import install as _install_rich_display
from exprdiff.symbolic.checking import GradCheck, check_grads
from exprdiff.symbolic.derivatives import (
    diff,
    evaluate_derivatives,
    evaluate_hessian,
    gradient_function,
    gradients,
    hessian,
    hessian_function,
)
from exprdiff.symbolic.simplification import simplify, simplify_all

# Expressions show their formula and graph in Jupyter through hooks the show
# layer registers here (exprdiff.core.display_hooks: the core never imports it).
_install_rich_display()

__all__ = [
    "Adam",
    "BackpropStep",
    "BinaryOp",
    "Compiled",
    "Constant",
    "FitResult",
    "GradCheck",
    "GradientDescent",
    "Input",
    "MissingValueError",
    "Momentum",
    "NaryOp",
    "Newton",
    "NewtonResult",
    "Node",
    "NonFiniteLossError",
    "Optimizer",
    "Parameter",
    "UnaryOp",
    "as_node",
    "backprop_frames",
    "backprop_steps",
    "check_grads",
    "compiled",
    "diff",
    "draw",
    "evaluate_derivatives",
    "evaluate_hessian",
    "from_sympy",
    "gradient_function",
    "gradients",
    "hessian",
    "hessian_function",
    "jacobian",
    "load",
    "newton",
    "node_gradients",
    "optimize",
    "register_ufunc",
    "params_by_name",
    "params_from_names",
    "render",
    "save",
    "simplify",
    "simplify_all",
    "to_dot",
    "to_jax",
    "to_latex",
    "to_python",
    "to_sympy",
    "to_torch",
    "topological_order",
    "value_and_gradient",
]
__all__ += ops.__all__  # the operations
__all__.sort()
