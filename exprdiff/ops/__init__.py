"""The built-in operations, one class each: forward function and local derivative side by side."""

from exprdiff.ops.activations import ReLU, Sigmoid, Softplus
from exprdiff.ops.arithmetic import Add, Divide, Multiply, Negate, Power, Subtract
from exprdiff.ops.arrays import (
    ClassScore,
    LogSumExp,
    MatMul,
    Mean,
    Softmax,
    Sum,
    SumOfSquares,
    Transpose,
)
from exprdiff.ops.clip import Clip
from exprdiff.ops.elementary import Abs, Cos, Exp, Log, Sign, Sin, Sqrt, Tanh

__all__ = [
    "Abs", "Add", "ClassScore", "Clip", "Cos", "Divide", "Exp", "Log", "LogSumExp", "MatMul",
    "Mean", "Multiply", "Negate", "Power", "ReLU", "Sigmoid", "Sign", "Sin", "Softmax",
    "Softplus", "Sqrt", "Subtract", "Sum", "SumOfSquares", "Tanh", "Transpose",
]
