"""exprdiff: write a model down as an expression, then evaluate, differentiate, fit and draw it.

>>> from exprdiff import Input, Parameter, Sigmoid
>>> x1, x2 = Input("x1"), Input("x2")
>>> w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
>>> perceptron = Sigmoid(w1 * x1 + w2 * x2 + b)
>>> perceptron({w1: 1.0, w2: 1.0, b: 0.0}, {x1: 0, x2: 1})
0.7310585786300049
"""

from exprdiff.backends.jax_backend import to_jax
from exprdiff.backends.names import params_by_name, params_from_names
from exprdiff.backends.torch_backend import to_torch
from exprdiff.core.errors import MissingValueError
from exprdiff.core.interpreter import node_gradients
from exprdiff.core.nodes import BinaryOp, Constant, Input, Node, Parameter, UnaryOp, as_node
from exprdiff.core.plan import topological_order
from exprdiff.fit.newton_method import Newton, NewtonResult, newton
from exprdiff.fit.optimizers import Adam, GradientDescent, Momentum, Optimizer
from exprdiff.fit.training import FitResult, NonFiniteLossError, optimize
from exprdiff.keep.export import to_python
from exprdiff.keep.serialization import load, save
from exprdiff.keep.sympy_bridge import from_sympy, to_sympy
from exprdiff.lowering.compiled_function import Compiled, compiled
from exprdiff.ops import (
    Abs,
    Add,
    ClassScore,
    Clip,
    Cos,
    Divide,
    Exp,
    Log,
    LogSumExp,
    MatMul,
    Mean,
    Multiply,
    Negate,
    Power,
    ReLU,
    Sigmoid,
    Sign,
    Sin,
    Softmax,
    Softplus,
    Sqrt,
    Subtract,
    Sum,
    SumOfSquares,
    Tanh,
    Transpose,
)
from exprdiff.show.dot import render, to_dot
from exprdiff.show.latex import to_latex
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

__version__ = "0.1.0"

__all__ = [
    "Abs",
    "Adam",
    "Add",
    "BinaryOp",
    "ClassScore",
    "Clip",
    "Compiled",
    "Constant",
    "Cos",
    "Divide",
    "Exp",
    "FitResult",
    "GradCheck",
    "GradientDescent",
    "Input",
    "Log",
    "LogSumExp",
    "MatMul",
    "Mean",
    "MissingValueError",
    "Momentum",
    "Multiply",
    "Negate",
    "Newton",
    "NewtonResult",
    "Node",
    "NonFiniteLossError",
    "Optimizer",
    "Parameter",
    "Power",
    "ReLU",
    "Sigmoid",
    "Sign",
    "Sin",
    "Softmax",
    "Softplus",
    "Sqrt",
    "Subtract",
    "Sum",
    "SumOfSquares",
    "Tanh",
    "Transpose",
    "UnaryOp",
    "as_node",
    "check_grads",
    "compiled",
    "diff",
    "evaluate_derivatives",
    "evaluate_hessian",
    "from_sympy",
    "gradient_function",
    "gradients",
    "hessian",
    "hessian_function",
    "load",
    "newton",
    "node_gradients",
    "optimize",
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
]
