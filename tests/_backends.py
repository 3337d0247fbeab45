"""Running one expression through the engine, `to_jax` and `to_torch`, for the backend tests."""

from __future__ import annotations

import contextlib
import importlib.util

import numpy as np
import pytest

from exprdiff.backends.names import params_by_name


def installed(name: str) -> bool:
    """Whether the library can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def library(name: str):
    """The module, or skip the test saying which extra would install it."""
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install 'exprdiff[{name}]')")


@contextlib.contextmanager
def jax_float64():
    """JAX with ``jax_enable_x64`` on for the duration (as exprdiff computes in float64)."""
    jax = library("jax")
    with jax.enable_x64(True):
        yield jax


def names(values: dict | None) -> dict:
    """A dict keyed by nodes, keyed by the nodes' labels instead."""
    return {node.label: value for node, value in (values or {}).items()}


def engine(expr, params: dict, inputs: dict | None = None) -> tuple:
    """The engine's value and gradient dict."""
    return expr(params, inputs), expr.grad(params, inputs)


def through_jax(expr, params: dict, inputs: dict | None = None) -> tuple:
    """`to_jax`'s value and gradient (of the sum of the value), as NumPy, keyed like the engine's."""
    from exprdiff import to_jax

    with jax_float64():
        value, grads = to_jax(expr, wrt=list(params))(params_by_name(params), names(inputs))
        return np.asarray(value), {p: np.asarray(grads[p.label]) for p in params}


def through_torch(expr, params: dict, inputs: dict | None = None) -> tuple:
    """`to_torch`'s value and autograd's gradient of its sum, as NumPy, keyed like the engine's."""
    torch = library("torch")
    from exprdiff import to_torch

    module = to_torch(expr, params)
    value = module(**names(inputs))
    value.sum().backward()
    grads = {}
    for p in params:
        g = module.get_parameter(p.label).grad
        grads[p] = np.zeros(np.shape(params[p])) if g is None else g.numpy()
    assert value.dtype == torch.float64
    return value.detach().numpy(), grads


BACKENDS = {"jax": through_jax, "torch": through_torch}

#: The backends' tolerance against the engine, stated once: both compute the same rewritten
#: graph in float64, but with the library's own elementary functions (within a few ulps of
#: NumPy's; PyTorch's cube root is |x|**(1/3)), its own summation order in reductions and
#: matrix products, and its own autodiff of each op's form (the same rule, written as
#: another expression): a few ulps per operation, over the few operations of a test case.
#: Where the result is infinite or NaN it must be so in the same places.
RTOL, ATOL = 1e-12, 1e-14


def assert_agrees(expr, params: dict, inputs: dict | None, backend: str,
                  rtol: float = RTOL, atol: float = ATOL) -> None:
    """The backend's value and gradient equal the engine's, shape for shape, to round-off."""
    value, grads = engine(expr, params, inputs)
    got_value, got_grads = BACKENDS[backend](expr, params, inputs)
    assert got_value.shape == np.shape(value)
    np.testing.assert_allclose(got_value, value, rtol=rtol, atol=atol)
    for p, g in grads.items():
        assert got_grads[p].shape == np.shape(g), p
        np.testing.assert_allclose(got_grads[p], g, rtol=rtol, atol=atol, err_msg=str(p))
