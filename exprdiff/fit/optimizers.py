"""Update rules for `optimize`: gradient descent, momentum and Adam.

Every optimizer has the same interface: ``step(params, grads, learning_rate)``
takes the current values and the mean-loss gradient, both dicts keyed by
`Parameter`, and returns a *new* dict of updated values.  It never writes
into the arrays it is given, so a dict a caller kept stays as it was.
Momentum and Adam keep per-parameter state between steps; ``reset()``
forgets it.  `optimize` steps a shallow copy of the instance it is given
(``copy.copy``), reset when the fit starts, so the instance keeps no state
of any fit and one instance can serve several fits, even concurrent ones.
A rule of your own must therefore give its state fresh containers in
``reset()`` (``self.state = {}``, not ``self.state.clear()``).

>>> from exprdiff import Parameter
>>> w = Parameter("w")
>>> GradientDescent().step({w: 1.0}, {w: 0.5}, learning_rate=0.1)
{Parameter('w'): 0.95}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from exprdiff.core.nodes import Node

__all__ = [
    "Adam", "GradientDescent", "Momentum", "OPTIMIZERS", "Optimizer", "UpdateCode",
    "make_optimizer",
]


@dataclass(frozen=True)
class UpdateCode:
    """An optimizer's update as source, for the compiled training step of `optimize`.

    ``lines`` compute one parameter's new value ``{new}`` from its value
    ``{p}``, its mean gradient ``{g}`` and ``{rate}``, reading and writing
    the parameter's state ``{state0}``, ``{state1}``... (new values
    ``{new_state0}``...), which start as ``initial``; ``step_lines`` run
    once per step, before them (``{t}`` is the 1-based step count);
    ``constants`` are the names they use, bound to these values.  The lines
    must compute exactly what `Optimizer.step` computes.
    """

    lines: tuple[str, ...]
    initial: tuple[Any, ...] = ()
    step_lines: tuple[str, ...] = ()
    constants: dict[str, Any] = field(default_factory=dict)


class Optimizer:
    """Base of the update rules: subclasses write `step` (and `reset` if they keep state).

    >>> import math
    >>> class SignDescent(Optimizer):  # for scalar parameters
    ...     name = "sign"
    ...     def step(self, params, grads, learning_rate):
    ...         return {p: params[p] - learning_rate * math.copysign(1.0, g)
    ...                 for p, g in grads.items()}
    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> SignDescent().step({w: 1.0}, {w: -3.0}, learning_rate=0.25)
    {Parameter('w'): 1.25}
    """

    #: the name `optimize` accepts for this rule (once it is in `OPTIMIZERS`)
    name: ClassVar[str] = ""

    def reset(self) -> None:
        """Forget any state from earlier steps (called when a fit starts)."""

    def step(self, params: Mapping, grads: Mapping, learning_rate: float) -> dict:
        """Return new values for the parameters in ``grads``; ``params`` is not changed."""
        raise NotImplementedError(f"{type(self).__name__} defines no step()")

    def update_code(self) -> UpdateCode | None:
        """The update as source for `optimize`'s compiled step, or None (then `update` runs).

        A subclass that changes `step` or `update` gets None unless it says
        otherwise, so a compiled fit never runs another rule than its own.
        """
        return None

    def _own_update(self, owner: type) -> bool:
        """Whether this rule's `step` and `update` are ``owner``'s, as its code mirrors them."""
        kind = type(self)
        return kind.step is owner.step and kind.update is Optimizer.update

    def update(
        self, loss: Node, params: Mapping, inputs: Mapping, grads: Mapping, learning_rate: float
    ) -> dict:
        """The step `optimize` takes: `step`, unless a rule needs the loss and the batch too.

        ``loss`` is the per-sample loss and ``inputs`` the batch the mean
        gradient ``grads`` was computed on (Newton's method evaluates the
        Hessian there).
        """
        return self.step(params, grads, learning_rate)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({settings})"


class GradientDescent(Optimizer):
    """Plain gradient descent: ``w <- w - learning_rate * grad``.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> GradientDescent().step({w: 2.0}, {w: 4.0}, learning_rate=0.5)
    {Parameter('w'): 0.0}
    """

    name = "gd"

    def step(self, params: Mapping, grads: Mapping, learning_rate: float) -> dict:
        return {p: params[p] - learning_rate * g for p, g in grads.items()}

    def update_code(self) -> UpdateCode | None:
        if not self._own_update(GradientDescent):
            return None
        return UpdateCode(lines=("{new} = {p} - {rate} * {g}",))


class Momentum(Optimizer):
    """Gradient descent with (heavy-ball) momentum, as in PyTorch's SGD.

    ``v <- momentum * v + grad`` and ``w <- w - learning_rate * v``, with
    ``v`` starting at zero.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> rule = Momentum(momentum=0.5)
    >>> after_one = rule.step({w: 0.0}, {w: 1.0}, learning_rate=1.0)
    >>> rule.step(after_one, {w: 1.0}, learning_rate=1.0)  # v = 0.5*1 + 1
    {Parameter('w'): -2.5}
    """

    name = "momentum"

    def __init__(self, momentum: float = 0.9) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = momentum
        self._velocity: dict = {}

    def reset(self) -> None:
        self._velocity = {}

    def step(self, params: Mapping, grads: Mapping, learning_rate: float) -> dict:
        new = {}
        for p, g in grads.items():
            v = self._velocity.get(p)
            v = g if v is None else self.momentum * v + g
            self._velocity[p] = v
            new[p] = params[p] - learning_rate * v
        return new

    def update_code(self) -> UpdateCode | None:
        if not self._own_update(Momentum):
            return None
        return UpdateCode(
            lines=("{new_state0} = {g} if {state0} is None else _momentum * {state0} + {g}",
                   "{new} = {p} - {rate} * {new_state0}"),
            initial=(None,), constants={"_momentum": self.momentum},
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias-corrected moment estimates.

    ``m <- beta1*m + (1-beta1)*grad``, ``s <- beta2*s + (1-beta2)*grad**2`` and
    ``w <- w - learning_rate * m_hat / (sqrt(s_hat) + eps)``, where ``m_hat`` and
    ``s_hat`` divide by ``1 - beta**t`` at step ``t``.  Its first step moves
    each element by about ``learning_rate`` whatever the gradient's scale.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> new = Adam().step({w: 1.0}, {w: 250.0}, learning_rate=0.1)
    >>> round(new[w], 9)
    0.9
    """

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        for label, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{label} must be in [0, 1), got {beta!r}")
        try:
            number = float(eps)
        except (TypeError, ValueError, OverflowError):
            number = float("nan")
        if not 0.0 < number < float("inf") or isinstance(eps, bool):
            raise ValueError(f"eps must be positive, got {eps!r:.60} (a finite number)")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self._moments: dict = {}
        self._steps = 0

    def reset(self) -> None:
        self._moments = {}
        self._steps = 0

    def step(self, params: Mapping, grads: Mapping, learning_rate: float) -> dict:
        self._steps += 1
        b1, b2 = self.beta1, self.beta2
        correction1 = 1.0 - b1**self._steps
        correction2 = 1.0 - b2**self._steps
        new = {}
        for p, g in grads.items():
            m, s = self._moments.get(p, (0.0, 0.0))
            m = b1 * m + (1.0 - b1) * g
            s = b2 * s + (1.0 - b2) * (g * g)
            self._moments[p] = (m, s)
            # ``** 0.5`` rather than np.sqrt keeps a scalar a Python float
            new[p] = params[p] - learning_rate * (m / correction1) / (
                (s / correction2) ** 0.5 + self.eps
            )
        return new

    def update_code(self) -> UpdateCode | None:
        if not self._own_update(Adam):
            return None
        return UpdateCode(
            lines=("{new_state0} = _beta1 * {state0} + (1.0 - _beta1) * {g}",
                   "{new_state1} = _beta2 * {state1} + (1.0 - _beta2) * ({g} * {g})",
                   "{new} = {p} - {rate} * ({new_state0} / _correction1) / "
                   "(({new_state1} / _correction2) ** 0.5 + _eps)"),
            initial=(0.0, 0.0),
            step_lines=("_correction1 = 1.0 - _beta1**{t}", "_correction2 = 1.0 - _beta2**{t}"),
            constants={"_beta1": self.beta1, "_beta2": self.beta2, "_eps": self.eps},
        )




#: the optimizers `optimize` knows by name (`exprdiff.fit.newton_method` adds ``"newton"``)
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (GradientDescent, Momentum, Adam)
}


def make_optimizer(spec: str | Optimizer) -> Optimizer:
    """An optimizer from a name in `OPTIMIZERS` (with default settings) or an instance.

    >>> make_optimizer("adam")
    Adam(beta1=0.9, beta2=0.999, eps=1e-08)
    >>> make_optimizer(Momentum(0.5))
    Momentum(momentum=0.5)
    """
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str) and spec.lower() in OPTIMIZERS:
        return OPTIMIZERS[spec.lower()]()
    choices = ", ".join(repr(name) for name in OPTIMIZERS)
    raise ValueError(f"unknown optimizer {spec!r}: use one of {choices} or an Optimizer instance")
