"""The built-in operations, one class each: forward function and local derivative side by side."""

from exprdiff.ops.activations import ReLU, Sigmoid, Softplus
from exprdiff.ops.arithmetic import Add, Divide, Multiply, Negate, Power, Subtract
from exprdiff.ops.elementary import Abs, Cos, Exp, Log, Sign, Sin, Sqrt, Tanh

__all__ = [
    "Abs", "Add", "Cos", "Divide", "Exp", "Log", "Multiply", "Negate", "Power", "ReLU",
    "Sigmoid", "Sign", "Sin", "Softplus", "Sqrt", "Subtract", "Tanh",
]
