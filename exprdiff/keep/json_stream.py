"""Reading a large JSON document piece by piece, so that loading needs little more than the result.

`json.loads` holds the whole text and every parsed object at once (a model
file's node table as dicts takes about ten times the file).  `JSONStream`
reads text in pieces from a file (or a string) and parses one value at a
time with `json.JSONDecoder.raw_decode`, so a caller can walk a top-level
object key by key and take a long array element by element, dropping each
element once it has used it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["JSONStream"]

_SPACE = re.compile(r"[ \t\n\r]*")
#: what may follow a number that a piece boundary cut: more of the number
_NUMBER_TAIL = re.compile(r"[0-9.eE+-]*")
_PIECE = 1 << 20  # characters read at a time


class JSONStream:
    """A JSON text read in pieces: `peek`, `take` a punctuation character, parse a `value`.

    ``read(size)`` returns up to ``size`` more characters ("" at the end).
    Syntax errors raise `ValueError` whose message starts with
    ``invalid JSON:`` and gives the character offset; errors the decoder's
    hooks raise (a refused constant, a duplicate key) pass through.

    >>> import io
    >>> stream = JSONStream(io.StringIO('{"a": [1, 2]}').read)
    >>> stream.take("{"), stream.value(), stream.take(":"), stream.value()
    (None, 'a', None, [1, 2])
    """

    def __init__(self, read: Callable[[int], str], decoder: json.JSONDecoder | None = None,
                 piece: int = _PIECE) -> None:
        self._read = read
        self.piece = piece  # characters read at a time
        self.decoder = decoder or json.JSONDecoder()
        self.buffer = ""
        self.pos = 0
        self.offset = 0  # characters dropped before the buffer
        self.ended = False

    @classmethod
    def of_text(cls, text: str, decoder: json.JSONDecoder | None = None) -> JSONStream:
        """A stream over a whole string (one piece).

        >>> JSONStream.of_text("[1, 2] ").value()
        [1, 2]
        """
        stream = cls(lambda size: "", decoder)
        stream.buffer = text
        stream.ended = True
        return stream

    def _more(self, size: int | None = None) -> bool:
        """Read another piece, dropping what has been parsed; False at the end of the text."""
        if self.ended:
            return False
        piece = self._read(size or self.piece)
        if not piece:
            self.ended = True
            return False
        self.offset += self.pos
        self.buffer = self.buffer[self.pos:] + piece
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end), left unread."""
        while True:
            self.pos = _SPACE.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def take(self, char: str) -> None:
        """Read ``char`` (such as ``,`` or ``]``), after any white space."""
        found = self.peek()
        if found != char:
            raise self.error(f"expecting {char!r}" + (f", found {found!r}" if found else
                                                      " before the end of the text"))
        self.pos += 1

    def value(self) -> Any:
        """The next JSON value, parsed whole (reading as many pieces as it needs)."""
        if not self.peek():
            raise self.error("expecting a value before the end of the text")
        size = self.piece
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self._more(size):
                    size *= 2  # a long value: read larger pieces
                    continue
                raise self.error(error.msg, error.pos) from None
            if (not self.ended and isinstance(value, (int, float))
                    and _NUMBER_TAIL.fullmatch(self.buffer, end)):
                if self._more(size):  # the piece may have cut the number short
                    continue
            self.pos = end
            return value

    def at_end(self) -> bool:
        """Whether only white space is left."""
        return self.peek() == ""

    def error(self, problem: str, pos: int | None = None) -> ValueError:
        """A syntax error at ``pos`` in the buffer (default: the current position)."""
        where = self.offset + (self.pos if pos is None else pos)
        return ValueError(f"invalid JSON: {problem} (at character {where})")
