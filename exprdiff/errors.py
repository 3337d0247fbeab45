"""Errors a user can act on."""

from __future__ import annotations

__all__ = ["MissingValueError"]


class MissingValueError(KeyError):
    """No value was supplied for an `Input` or `Parameter` the expression needs.

    It is a `KeyError`, so ``except KeyError`` still catches it, but its message
    is a sentence naming the node, where it is used and what was supplied.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> try:
    ...     (2 * x)({}, {})
    ... except MissingValueError as error:
    ...     print(error.node)
    x
    """

    def __init__(self, message: str, node: object = None) -> None:
        super().__init__(message)
        self.node = node

    def __str__(self) -> str:  # KeyError would quote the whole sentence
        return str(self.args[0])
