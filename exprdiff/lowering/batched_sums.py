"""Many small sums as one reduction: a program's full sums of short vectors, batched.

A model written one node per weight (micrograd's style) trained on a batch
sums one gradient vector per Parameter, every step: hundreds of
``np.add.reduce`` calls on vectors of a hundred elements, each of which
costs more in the call than in the adding.  `batch_sums` rewrites a
`exprdiff.lowering.program.Program` so that those vectors are written
into the rows of one buffer and reduced by a single ``np.add.reduce(rows,
1)``; the statements that read a sum run once the buffer is reduced.

Each row's sum equals the vector's own sum bit for bit (the reduction
runs over each contiguous row with the loop a vector's sum runs:
``tests/test_batched_sums.py`` checks it over lengths and strides); only
the order of statements changes, never an operation, so values are the
same.  What may change is which statement warns first, so it is for code
that runs with NumPy's warnings off (`optimize`'s training step).
"""

from __future__ import annotations

import re

import numpy as np

from exprdiff.lowering.program import Program

__all__ = ["MAX_LENGTH", "MIN_SUMS", "batch_sums"]

#: vectors longer than this are summed as they are (the call no longer dominates)
MAX_LENGTH = 2048
#: fewer sums than this are left alone (a buffer costs more than it saves)
MIN_SUMS = 8
_ROW_ELEMENTS = 1 << 16  # elements per buffer (512 KB: cache-resident), then it is reduced

_TERM = "(\x01[0-9]+\x02|[A-Za-z_][A-Za-z_0-9]*|[0-9.e+-]+|\\(-[0-9.e+-]+\\))"
_PRODUCT = re.compile(f"^{_TERM} \\* {_TERM}$")  # one product of two values


def batch_sums(program: Program, kept: list) -> None:
    """Rewrite ``program``'s statements so that its short full sums share reductions.

    ``kept`` are the values read after the statements (as for
    `Program.lines`).  Sums are those `Program.sum_all` made of vectors of
    one dimension and at most `MAX_LENGTH` elements; nothing changes when
    there are fewer than `MIN_SUMS` of them.

    >>> program = Program()
    >>> xs = [program.argument(f"x{j}", (3,)) for j in range(MIN_SUMS)]
    >>> sums = [program.sum_all(program.emit("{0} * {0}", [x], shape=(3,))) for x in xs]
    >>> total = program.emit("{0} + {1}", sums[:2], shape=None)
    >>> batch_sums(program, [total])
    >>> lines = [program.rename(line) for line in program.lines([total])]
    >>> print("\\n".join(lines[:2] + ["..."] + lines[-4:]))
    _rows0 = _empty((8, 3))
    _multiply(x0, x0, out=_rows0[0])
    ...
    _multiply(x7, x7, out=_rows0[7])
    _sums0 = _add_reduce(_rows0, 1)
    _r0 = _sums0[0]
    _r0 = _r0 + _sums0[1]
    """
    vals = program.vals
    candidates = {s: k for s, k in program.sums.items() if _short_vector(vals[k].shape)}
    if len(candidates) < MIN_SUMS:
        return
    program.namespace.update(_empty=np.empty, _add_reduce=np.add.reduce, _multiply=np.multiply)
    reads: dict[int, int] = {}
    for _, _, _, uses, _ in program.statements:
        for index in uses:
            reads[index] = reads.get(index, 0) + 1
    keep = {val.index for val in kept}
    out: list = []
    deferred: set[int] = set()  # values not yet computed in the new order
    pending: list = []  # statements waiting for one of them, in their first order
    # vector length -> [buffer number, allocation slot, rows, the statements each row replaced]
    groups: dict[int, list] = {}
    count = [0]

    def place(statement: tuple) -> None:
        kind, target, code, uses, call = statement
        operand = candidates.get(target) if kind == 0 else None
        if operand is None:
            out.append(statement)
            return
        length = vals[operand].shape[0]
        group = groups.get(length)
        number, _, rows, replaced = group or (count[0], None, [], [])
        write, product = _row_write(out, operand, f"_rows{number}[{len(rows)}]", reads, keep)
        if group is None:
            groups[length] = [number, len(out), rows, replaced]
            count[0] += 1
            out.append(None)  # the buffer's allocation, written once its rows are known
        out.append(write)
        rows.append(target)
        replaced.append([*product, statement])
        deferred.add(target)
        if len(rows) * length >= _ROW_ELEMENTS:
            flush(length)

    def flush(length: int) -> None:
        number, slot, rows, replaced = groups.pop(length)
        deferred.discard(rows[0])
        if len(rows) == 1:  # a buffer of one row costs more than the sum: back as it was
            out[slot], out[slot + 1] = [], replaced[0]
            return
        out[slot] = (2, -1, f"_rows{number} = _empty(({len(rows)}, {length}))", [], False)
        out.append((2, -1, f"_sums{number} = _add_reduce(_rows{number}, 1)", [], False))
        for j, target in enumerate(rows):
            deferred.discard(target)
            if reads.get(target) or target in keep:  # a sum nobody reads is not taken out
                out.append((0, target, f"_sums{number}[{j}]", [], True))  # binds as a call

    def release() -> None:
        waiting = pending[:]
        pending.clear()
        for statement in waiting:
            consider(statement)

    def consider(statement: tuple) -> None:
        kind, target, _, uses, _ = statement
        if any(index in deferred for index in uses):
            pending.append(statement)
            if kind != 2:
                deferred.add(target)
                if kind == 1:
                    deferred.add(target + 1)
            return
        if kind != 2:
            deferred.discard(target)
            if kind == 1:
                deferred.discard(target + 1)
        place(statement)

    for statement in program.statements:
        consider(statement)
    while groups or pending:
        for length in list(groups):
            flush(length)
        release()
    program.statements = [s for entry in out for s in (entry if type(entry) is list else [entry])]


def _short_vector(shape: object) -> bool:
    return type(shape) is tuple and len(shape) == 1 and 2 <= shape[0] <= MAX_LENGTH


def _row_write(out: list, operand: int, row: str, reads: dict, keep: set) -> tuple:
    """The statement writing value ``operand`` into ``row`` (a product straight into it,
    taken off the end of ``out``), and a list of the product's statement if it was."""
    marker = f"\x01{operand}\x02"
    previous = out[-1] if out else None
    if (previous is not None and previous[0] == 0 and previous[1] == operand
            and reads.get(operand) == 1 and operand not in keep):
        match = _PRODUCT.match(previous[2])
        if match is not None:  # float64 values (all are), so the product has the row's type
            out.pop()
            return (2, -1, f"_multiply({match.group(1)}, {match.group(2)}, out={row})",
                    previous[3], False), [previous]
    return (2, -1, f"{row} = {marker}", [operand], False), []

