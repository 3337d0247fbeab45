"""`to_torch`: an expression as a `torch.nn.Module` whose parameters are its Parameters.

The module's forward pass is the expression's rewritten graph lowered to
PyTorch code (`exprdiff.backends.forward_code`), the same stable fused
forms as the engine, which autograd differentiates with exprdiff's rules
(each op's ``torch_code`` is written for that: ``torch.clamp``'s slope on a
bound is 1, so `Clip` uses ``minimum``/``maximum``, which split it).

Each Parameter becomes an `torch.nn.Parameter` whose ``state_dict`` key is
the Parameter's name; a dotted name (``"layer1.w"``, as `exprdiff.nn`
names them) is a path through submodules, as PyTorch spells nested
parameters, so ``state_dict()`` keys are exactly the exprdiff names.
Constant arrays are non-persistent buffers, so ``.to(device)``,
``.double()`` and ``.float()`` move and convert everything together.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from exprdiff.backends.forward_code import forward_code
from exprdiff.backends.libraries import import_torch
from exprdiff.backends.names import as_float64
from exprdiff.backends.selections import torch_masks
from exprdiff.core.errors import MissingValueError
from exprdiff.core.names import named_leaves
from exprdiff.core.nodes import Node, Parameter
from exprdiff.core.values import as_value
from exprdiff.lowering.codegen import NotLowerable
from exprdiff.lowering.templates import Backend

if TYPE_CHECKING:  # only for the annotation: importing exprdiff never imports PyTorch
    import torch

__doctest_requires__ = ("torch",)

__all__ = ["expression_module_class", "to_torch", "torch_backend", "torch_forward"]


@functools.cache
def torch_backend() -> Backend:
    """The code generator's `Backend` for PyTorch (``torch`` in scope)."""
    torch = import_torch("to_torch")
    return Backend("torch", "torch", {"np": np, "torch": torch}, ufuncs=True, title="PyTorch",
                   array_module="torch")


def torch_forward(expr: Node, needed_by: str = "to_torch") -> Any:
    """``expr``'s `exprdiff.backends.forward_code.ForwardCode` for PyTorch."""
    import_torch(needed_by)
    try:
        return forward_code(expr, torch_backend(), "_torch_forward", masks=torch_masks(),
                            scalar_arrays=True)
    except NotLowerable as error:
        raise NotImplementedError(f"{needed_by}: {error}") from None


def to_torch(expr: Node, params: Mapping[Parameter, Any] | None = None) -> torch.nn.Module:
    """``expr`` as a `torch.nn.Module`: ``module(**inputs)`` computes it, with autograd.

    ``params`` gives each Parameter's starting value (as for `optimize`);
    they become float64 `torch.nn.Parameter` s named by the Parameters'
    names (``module.state_dict()`` is keyed by them), usable with
    `torch.optim` and movable with ``.to(device)``.  ``forward`` takes the
    Inputs by name as keywords: tensors as they are, anything else (numbers,
    NumPy arrays) converted to the module's float dtype and device.
    ``module.params()`` gives the weights back as an exprdiff params dict,
    bit for bit in float64, and ``module.load_params(params)`` copies an
    exprdiff params dict in.

    The starting values are required: an exprdiff Parameter has no shape or
    value of its own (a PyTorch layer's shape is in its constructor; an
    expression's comes with the values), so ``to_torch(expr)`` of an
    expression with Parameters raises `exprdiff.MissingValueError` naming the
    first one without a value, rather than guess a shape or start from zeros;
    an expression without Parameters needs no ``params``.  A Parameter
    missing from ``params`` raises the same error;
    a name PyTorch cannot use (an empty part between dots, the name of a
    `torch.nn.Module` attribute such as ``"forward"``, or both ``"a"`` and
    ``"a.b"``) raises `ValueError`.

    >>> import torch
    >>> from exprdiff import Input, Parameter, Sigmoid
    >>> w, b, x = Parameter("layer.w"), Parameter("layer.b"), Input("x")
    >>> module = to_torch(Sigmoid(w * x + b), {w: 1.0, b: 0.0})
    >>> [name for name, _ in module.named_parameters()]
    ['layer.w', 'layer.b']
    >>> out = module(x=torch.tensor([0.0, 1.0], dtype=torch.float64))
    >>> out.sum().backward()
    >>> round(module.layer.w.grad.item(), 6), round(module.layer.b.grad.item(), 6)
    (0.196612, 0.446612)
    >>> module.params()
    {Parameter('layer.w'): 1.0, Parameter('layer.b'): 0.0}
    """
    import_torch("to_torch")
    leaves = named_leaves(expr)
    given = {} if params is None else params
    values = {}
    for name, leaf in leaves.items():
        if type(leaf).leaf_kind != "parameter":
            continue
        if leaf not in given:
            raise MissingValueError(
                f"to_torch needs a starting value for Parameter {name!r}: an exprdiff "
                "Parameter has no shape until it has a value, so the module cannot create "
                "its torch.nn.Parameter; pass it in params (keyed by the Parameter itself, as "
                "for optimize), e.g. the start a builder such as DenseMLP returns", leaf)
        values[name] = as_value(given[leaf], f"params[Parameter {name!r}]")
    return expression_module_class()(expr, torch_forward(expr), leaves, values)


@functools.cache
def expression_module_class() -> type:
    """The `torch.nn.Module` subclass `to_torch` returns (made once PyTorch is imported)."""
    torch = import_torch("to_torch")

    class ExpressionModule(torch.nn.Module):
        """An exprdiff expression as a PyTorch module (see `exprdiff.to_torch`)."""

        def __init__(self, expr: Node, code: Any, leaves: dict, values: dict) -> None:
            super().__init__()
            self._exprdiff_expr = expr
            self._exprdiff_code = code
            self._exprdiff_parameters = {}  # name -> (Parameter node, owner module, attribute)
            for name, value in values.items():
                owner, attribute = _place(self, name)
                tensor = torch.tensor(np.asarray(value, dtype=np.float64))
                owner.register_parameter(attribute, torch.nn.Parameter(tensor))
                self._exprdiff_parameters[name] = (leaves[name], owner, attribute)
            self._exprdiff_read = tuple(
                self._exprdiff_parameters[p.label][1:] for p in code.params)
            self._exprdiff_inputs = tuple(node.label for node in code.inputs)
            self._exprdiff_all_inputs = frozenset(
                name for name, leaf in leaves.items() if leaf.leaf_kind == "input")
            names = []
            for k, constant in enumerate(code.constants):
                names.append(f"_exprdiff_constant{k}")
                self.register_buffer(names[-1], torch.from_numpy(constant.copy()),
                                     persistent=False)
            self._exprdiff_constants = tuple(names)
            # carries the module's float dtype and device through .to(), .double(), .float()
            self.register_buffer("_exprdiff_anchor", torch.zeros((), dtype=torch.float64),
                                 persistent=False)

        @property
        def expr(self) -> Node:
            """The expression this module computes."""
            return self._exprdiff_expr

        @property
        def source(self) -> str:
            """The generated PyTorch code of the forward pass."""
            return self._exprdiff_code.source

        def forward(self, /, **inputs: Any) -> Any:
            unexpected = inputs.keys() - self._exprdiff_all_inputs
            if unexpected:
                raise TypeError(
                    f"forward() got inputs the expression does not have: {sorted(unexpected)}; "
                    f"its inputs are {sorted(self._exprdiff_all_inputs)}")
            anchor = self._exprdiff_anchor
            values = tuple(owner._parameters[attribute]
                           for owner, attribute in self._exprdiff_read)
            data = tuple(_input(torch, inputs, name, anchor) for name in self._exprdiff_inputs)
            buffers = tuple(self._buffers[name] for name in self._exprdiff_constants)
            out = self._exprdiff_code.function(values, data, buffers)
            if not isinstance(out, torch.Tensor):
                out = torch.as_tensor(out, dtype=anchor.dtype, device=anchor.device)
            return out

        def params(self) -> dict:
            """The weights as an exprdiff params dict (float64 NumPy values, floats when 0-d)."""
            return {leaf: as_float64(owner._parameters[attribute])
                    for leaf, owner, attribute in self._exprdiff_parameters.values()}

        def load_params(self, params: Mapping[Parameter, Any]) -> None:
            """Copy the values of an exprdiff params dict into the matching parameters."""
            for name, (leaf, owner, attribute) in self._exprdiff_parameters.items():
                if leaf not in params:
                    continue
                target = owner._parameters[attribute]
                value = np.asarray(as_value(params[leaf], f"params[Parameter {name!r}]"),
                                   dtype=np.float64)
                if tuple(target.shape) != value.shape:
                    raise ValueError(
                        f"load_params: Parameter {name!r} has shape {tuple(target.shape)} in "
                        f"the module, the value given has shape {value.shape}")
                with torch.no_grad():
                    target.copy_(torch.from_numpy(value))

        def extra_repr(self) -> str:
            text = str(self._exprdiff_expr)
            return text if len(text) <= 80 else text[:77] + "..."

    ExpressionModule.__module__ = __name__
    return ExpressionModule


def _input(torch: Any, inputs: Mapping, name: str, anchor: Any) -> Any:
    try:
        value = inputs[name]
    except KeyError:
        raise MissingValueError(
            f"forward() needs the input {name!r} (a keyword argument); it got "
            f"{sorted(inputs)}") from None
    if isinstance(value, torch.Tensor):
        return value
    return torch.as_tensor(np.asarray(value), dtype=anchor.dtype, device=anchor.device)


def _place(root: Any, name: str) -> tuple[Any, str]:
    """The submodule and attribute name for a dotted Parameter name (submodules made as needed)."""
    torch = import_torch("to_torch")
    parts = name.split(".")
    owner = root
    for depth, part in enumerate(parts):
        if not part:
            raise ValueError(
                f"to_torch: the Parameter name {name!r} has an empty part between dots; "
                "PyTorch cannot name a parameter so: rename it")
        last = depth == len(parts) - 1
        child = owner._modules.get(part)
        if not last and child is not None and not isinstance(child, torch.nn.Parameter):
            owner = child
            continue
        if hasattr(owner, part):
            taken = ".".join(parts[:depth + 1])
            what = ("another Parameter's path" if part in owner._parameters
                    or part in owner._modules else "an attribute of torch.nn.Module")
            raise ValueError(
                f"to_torch: the Parameter name {name!r} cannot be a PyTorch parameter name: "
                f"{taken!r} is {what}; rename the Parameter")
        if last:
            return owner, part
        child = torch.nn.Module()
        owner.add_module(part, child)
        owner = child
    raise AssertionError("unreachable")  # pragma: no cover
