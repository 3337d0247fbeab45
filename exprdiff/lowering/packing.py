"""Alike statements packed: one NumPy call over stacked rows instead of one call per row.

A model written one node per weight (micrograd's style) makes straight-line
code in which each neuron repeats the same statements with its own weights:
``w_k0 * h_0``, ``+ w_k1 * h_1``, ... sixteen times over, each a NumPy call on
a short vector that costs more in the call than in the arithmetic.
`pack_statements` finds statements that compute the same thing from values
that are themselves computed alike (the same *signature*: template, and for
each operand a constant, a shared value, a scalar, or a value of another
signature), and computes each such group as one statement on a
``(rows, n)`` array: scalars stacked into a column, values of another group
read as a view of its rows (a slice, or a broadcast when the rows repeat in
blocks or cycles), any other arrangement gathered.  The full sums of a
group's rows are one ``np.add.reduce(rows, 1)``.

Elementwise NumPy functions compute each element alone, so every row is
the statement's own result bit for bit, and a row's sum is the vector's own
sum (``tests/test_packing.py``).  Statements are reordered (a group runs once
all its operands have), so this is for code run with NumPy's warnings off:
`optimize`'s training step.
"""

from __future__ import annotations

import heapq
import re
from typing import Any

import numpy as np

from exprdiff.lowering.batched_sums import MAX_LENGTH  # the same reason: calls dominate
from exprdiff.lowering.program import Program, Val, _is_call

__all__ = ["MAX_LENGTH", "MIN_ROWS", "column", "pack_statements"]

#: groups of fewer statements than this are left as they are
MIN_ROWS = 4
_MAX_ELEMENTS = 1 << 20  # a group's array at most 8 MB: memory stays near the unpacked code's
_SUM = "_sum({0}, None)"
_CALL = re.compile(r"([A-Za-z_][A-Za-z_0-9.]*)\(")
_UFUNCS = frozenset(name for name in dir(np) if isinstance(getattr(np, name), np.ufunc))


def _elementwise(template: str) -> bool:
    """Whether a template only applies elementwise functions to its operands."""
    if "[" in template or "}." in template or "=" in template:
        return False
    for name in _CALL.findall(template):
        if name != "power" and not (name.startswith("np.") and (
                name[3:] in _UFUNCS or name[3:] == "where")):
            return False
    return True


def _vector(shape: Any) -> bool:
    return type(shape) is tuple and len(shape) == 1 and shape[0] <= MAX_LENGTH


def column(values: tuple, shape: tuple) -> np.ndarray:
    """Scalars stacked into an array (a column of rows), for one packed operand.

    >>> column((1.0, 2.0), (2, 1)).tolist()
    [[1.0], [2.0]]
    """
    return np.array(values, dtype=np.float64).reshape(shape)


def pack_statements(program: Program, kept: list) -> None:
    """Rewrite ``program``'s statements so that groups of alike statements run as one.

    ``kept`` are the values read after the statements (as for `Program.lines`).

    >>> program = Program()
    >>> x = program.argument("x", (3,))
    >>> ws = [program.argument(f"w{k}", None) for k in range(MIN_ROWS)]
    >>> ys = [program.emit("np.tanh({0} * {1})", [w, x], shape=(3,)) for w in ws]
    >>> sums = [program.sum_all(y) for y in ys]
    >>> pack_statements(program, sums)
    >>> print("\\n".join(program.rename(line) for line in program.lines(sums)))
    _r0 = np.add.reduce(np.tanh(column((w0, w1, w2, w3,), (4, 1)) * x), 1)
    _r1 = _r0[0]
    _r2 = _r0[1]
    _r3 = _r0[2]
    _r0 = _r0[3]
    """
    if any(kind == 2 for kind, *_ in program.statements):
        return  # lines without values (checks, rows) keep their places: leave the order
    vals, origins = program.vals, program.origins
    signature: dict[int, int] = {}
    interned: dict[tuple, int] = {}
    # the longest path from the arguments: a statement that reads another (through any
    # statements) is deeper, so statements of one depth never read each other, and groups
    # keyed by depth can be scheduled (a group runs after every group it reads)
    depth: dict[int, int] = {}
    for kind, target, _, uses, _ in program.statements:
        level = 1 + max((depth.get(u, 0) for u in uses), default=0)
        depth[target] = level
        if kind == 1:
            depth[target + 1] = level
    for kind, target, _, _, _ in program.statements:
        if kind != 0 or target not in origins:
            continue
        template, operands = origins[target]
        if template == _SUM:
            if not (operands[0].index in signature and _vector(operands[0].shape)):
                continue
        elif not (_vector(vals[target].shape) and _elementwise(template)):
            continue
        key: list = [template, depth[target]]
        for operand in operands:
            if operand.const is not None or operand.index < 0:
                key.append(("c", operand.text))
            elif operand.index in signature:
                key.append(("p", signature[operand.index]))
            elif operand.shape is None:
                key.append(("s",))
            elif type(operand.shape) is tuple:
                key.append(("v", operand.index))
            else:
                break
        else:
            signature[target] = interned.setdefault(tuple(key), len(interned))
    members: dict[int, list] = {}
    for target, group in signature.items():
        members.setdefault(group, []).append(target)
    groups = {g: rows for g, rows in members.items()
              if len(rows) >= MIN_ROWS and len(rows) * _length(program, rows[0]) <= _MAX_ELEMENTS}
    if not groups:
        return
    _Packer(program, kept, groups).run()


def _length(program: Program, target: int) -> int:
    """The length of the vectors a statement computes (or, for a sum, adds up)."""
    template, operands = program.origins[target]
    return (operands[0] if template == _SUM else program.vals[target]).shape[0]


class _Packer:
    """One rewrite: the groups' statements, then every statement scheduled anew."""

    def __init__(self, program: Program, kept: list, groups: dict) -> None:
        self.program, self.vals, self.origins = program, program.vals, program.origins
        self.groups = groups
        self.row = {t: (g, r) for g, rows in groups.items() for r, t in enumerate(rows)}
        self.keep = {val.index for val in kept}
        self.pack: dict[int, Val] = {}  # group -> its rows' array
        self.columns: dict[tuple, Val] = {}
        self.defined_by: dict[int, int] = {}  # value -> unit
        self.units: list[list] = []  # [statements, uses, order]
        self.unit_of_group: dict[int, int] = {}
        self.read_alone: set[int] = set()  # members another group reads as one value

    def run(self) -> None:
        program = self.program
        program.namespace.update(column=column, _stack=np.stack)
        readers_outside: set[int] = set(self.keep)
        for _, target, _, uses, _ in program.statements:
            if target in self.row:
                continue
            readers_outside.update(uses)
        for group, rows in self.groups.items():  # named now: a group may read a later one
            template = self.origins[rows[0]][0]
            shape = (len(rows),) if template == _SUM else (len(rows), self.vals[rows[0]].shape[0])
            self.pack[group] = program._new(None, shape, fresh=True)
        emitted: set[int] = set()
        for position, statement in enumerate(program.statements):
            kind, target, _, uses, _ = statement
            if target in self.row:
                group, _ = self.row[target]
                if group in emitted or self.groups[group][-1] != target:
                    continue
                emitted.add(group)
                self._group_unit(group, position)
            else:
                unit = self._unit([statement], set(uses), position)
                for index in (target, target + 1) if kind == 1 else (target,):
                    self.defined_by[index] = unit
        for group, rows in self.groups.items():  # rows read one by one: taken out as views
            pack, statements = self.pack[group], self.units[self.unit_of_group[group]][0]
            for r, target in enumerate(rows):
                if target in readers_outside or target in self.read_alone:
                    statements.append((0, target, f"{pack.text}[{r}]", [pack.index], True))
            for target in rows:
                program.sums.pop(target, None)  # summed here, not by `batch_sums`
        program.statements = self._scheduled()

    def _unit(self, statements: list, uses: set, order: int) -> int:
        self.units.append([statements, uses, order])
        return len(self.units) - 1

    def _group_unit(self, group: int, position: int) -> None:
        vals = self.vals
        rows = self.groups[group]
        template, first = self.origins[rows[0]]
        count = len(rows)
        statements: list = []
        uses: set = set()
        if template == _SUM:
            source = self._rows_of(group, 0, (count,), statements, uses)
            code = f"np.add.reduce({source}, 1)"
        else:
            length = vals[rows[0]].shape[0]
            blocks = self._blocks(group)
            layout = (count // blocks, blocks) if blocks > 1 else (count,)
            texts = [self._rows_of(group, slot, layout, statements, uses)
                     for slot in range(len(first))]
            code = template.format(*texts)
            if blocks > 1:
                code = f"({code}).reshape({count}, {length})"
        pack = self.pack[group]
        statements.append((0, pack.index, code, sorted(uses), _is_call(code)))
        unit = self._unit(statements, uses, position)
        self.unit_of_group[group] = unit
        self.defined_by[pack.index] = unit
        for target in rows:
            self.defined_by[target] = unit
        for statement in statements:
            if statement[0] == 0:
                self.defined_by.setdefault(statement[1], unit)

    def _blocks(self, group: int) -> int:
        """The inner size of a 3-d layout when an operand's rows repeat (1: none needed)."""
        rows = self.groups[group]
        _, first = self.origins[rows[0]]
        for slot in range(len(first)):
            indices = self._source_rows(group, slot)
            if indices is None or _progression(indices) is not None:
                continue
            for blocks in range(2, len(indices)):
                if len(indices) % blocks == 0 and (_cycles(indices, blocks) is not None
                                                   or _repeats(indices, blocks) is not None):
                    return blocks
        return 1

    def _source_rows(self, group: int, slot: int) -> list | None:
        """The rows of another packed group that operand ``slot`` reads, or None."""
        sources = [self.origins[t][1][slot] for t in self.groups[group]]
        found = [self.row.get(val.index) for val in sources]
        if any(f is None for f in found) or len({f[0] for f in found}) != 1:
            return None
        return [f[1] for f in found]

    def _rows_of(self, group: int, slot: int, layout: tuple, statements: list,
                 uses: set) -> str:
        """The text of operand ``slot`` for all the group's rows, in ``layout``."""
        program = self.program
        rows = self.groups[group]
        sources = [self.origins[t][1][slot] for t in rows]
        head = sources[0]
        if head.const is not None or head.index < 0:
            return head.text  # a constant: the same in every row
        if all(val.index == head.index for val in sources):
            uses.add(head.index)
            self.read_alone.add(head.index)
            return head.text  # a shared value
        indices = self._source_rows(group, slot)
        if indices is not None:
            source = self.row[sources[0].index][0]
            pack = self.pack[source]
            uses.add(pack.index)
            if len(layout) == 1 and indices == list(range(len(self.groups[source]))):
                return pack.text  # every row, in order
            return _view(pack.text, indices, layout)
        if head.shape is None:  # scalars: stacked into a column
            key = (tuple(val.index for val in sources), layout)
            found = self.columns.get(key)
            if found is None:
                shape = (*layout, 1)
                found = program._new(None, shape, fresh=True)
                texts = ", ".join(val.text for val in sources)
                statements.append((0, found.index, f"column(({texts},), {shape!r})",
                                   [val.index for val in sources if val.index >= 0], True))
                uses.update(val.index for val in sources if val.index >= 0)
                self.columns[key] = found
            uses.add(found.index)
            return found.text
        uses.update(val.index for val in sources)
        self.read_alone.update(val.index for val in sources)
        stacked = f"_stack(({', '.join(val.text for val in sources)},))"
        return stacked if len(layout) == 1 else f"{stacked}.reshape({layout[0]}, {layout[1]}, -1)"

    def _scheduled(self) -> list:
        """The units' statements in an order that computes every value before its use, each
        unit as early in the first order as its operands let it."""
        units = self.units
        waiting = [0] * len(units)
        followers: list[list] = [[] for _ in units]
        for u, (_, uses, _) in enumerate(units):
            before = {self.defined_by[i] for i in uses if i in self.defined_by} - {u}
            waiting[u] = len(before)
            for b in before:
                followers[b].append(u)
        ready = [(units[u][2], u) for u in range(len(units)) if waiting[u] == 0]
        heapq.heapify(ready)
        out: list = []
        while ready:
            _, u = heapq.heappop(ready)
            out.extend(units[u][0])
            for f in followers[u]:
                waiting[f] -= 1
                if waiting[f] == 0:
                    heapq.heappush(ready, (units[f][2], f))
        if len(out) != sum(len(unit[0]) for unit in units):
            raise AssertionError("packing left statements unscheduled")  # a cycle: a bug
        return out


def _progression(indices: list) -> tuple | None:
    """``(start, step)`` when the rows are ``start + step*r`` (step not 0)."""
    start = indices[0]
    step = indices[1] - start if len(indices) > 1 else 1
    if step == 0 or any(i != start + step * r for r, i in enumerate(indices)):
        return None
    return start, step


def _cycles(indices: list, blocks: int) -> tuple | None:
    """The progression of one cycle when the rows repeat it (row r reads ``r % blocks``)."""
    if any(indices[r] != indices[r % blocks] for r in range(len(indices))):
        return None
    return _progression(indices[:blocks])


def _repeats(indices: list, blocks: int) -> tuple | None:
    """The progression over blocks when each block reads one row (row r reads ``r // blocks``)."""
    heads = indices[::blocks]
    if any(indices[r] != heads[r // blocks] for r in range(len(indices))):
        return None
    return _progression(heads)


def _slice(text: str, start: int, step: int, count: int) -> str:
    """Rows ``start, start + step, ...`` (``count`` of them) as a slice: a view."""
    stop = start + step * count
    if step == 1:
        return f"{text}[{start or ''}:{stop}]"
    return f"{text}[{start}:{stop if stop >= 0 else ''}:{step}]"  # down to row 0: no stop


def _view(text: str, indices: list, layout: tuple) -> str:
    """Rows ``indices`` of the array named ``text``, shaped for ``layout``: a view where the
    rows form a progression, cycle or repeat, else a gather."""
    count = len(indices)
    if len(layout) == 1:
        found = _progression(indices)
        if found is not None:
            return _slice(text, *found, count)
        return f"{text}[{indices!r}]"
    outer, blocks = layout
    found = _cycles(indices, blocks)
    if found is not None:
        return f"{_slice(text, *found, blocks)}[None]"
    found = _repeats(indices, blocks)
    if found is not None:
        return f"{_slice(text, *found, outer)}[:, None]"
    found = _progression(indices)
    if found is not None:
        return f"{_slice(text, *found, count)}.reshape({outer}, {blocks}, -1)"
    return f"{text}[{indices!r}].reshape({outer}, {blocks}, -1)"
