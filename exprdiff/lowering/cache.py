"""The compiled code of one root: a bounded, thread-safe cache keyed by signature.

Each root that is evaluated more than once gets a `CodeCache` (kept with its
plan): compiled functions by key (what was asked for and the shape
signature), at most `MAX_ENTRIES` of them (the oldest goes first), and how
often each key was asked for before it was compiled.  Reads take no lock;
storing does, so threads evaluating one expression with different shapes
at once each get their own, correct, code.

>>> cache = CodeCache()
>>> cache.store(("value", (None,)), len)
>>> cache.get(("value", (None,))) is len
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

__all__ = ["MAX_ENTRIES", "CodeCache"]

#: compiled functions kept per root (signatures beyond this evict the oldest)
MAX_ENTRIES = 8
_MAX_COUNTED = 64  # keys counted before compiling; the counts start over beyond this


class CodeCache:
    """Compiled functions of one root, by key, plus call counts and the last ones used."""

    __slots__ = ("_lock", "_entries", "_counts", "failed", "last_value", "last_gradient",
                 "last_raw")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, Callable] = {}
        self._counts: dict[Hashable, int] = {}
        self.failed: set = set()  # keys whose lowering failed: the interpreter runs them
        # the fast path's first guess: generated functions, called by `Node` directly
        self.last_value: Callable | None = None
        self.last_gradient: Callable | None = None
        self.last_raw: Callable | None = None

    def get(self, key: Hashable) -> Callable | None:
        return self._entries.get(key)

    def count(self, key: Hashable) -> int:
        """Record one more request for ``key``; how many there have been."""
        counts = self._counts
        if len(counts) >= _MAX_COUNTED and key not in counts:
            counts.clear()
        counts[key] = seen = counts.get(key, 0) + 1
        return seen

    def store(self, key: Hashable, function: Callable) -> None:
        with self._lock:
            entries = self._entries
            if key not in entries and len(entries) >= MAX_ENTRIES:
                del entries[next(iter(entries))]
            entries[key] = function
            self._counts.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
