"""Saving and loading expressions and their parameters as JSON: no pickle, no eval.

The file format (``"version": 1``) is one JSON object::

    {"format": "exprdiff", "version": 1,
     "nodes": [
      {"type": "Parameter", "name": "w"},
      {"type": "Input", "name": "x"},
      {"type": "Constant", "value": 2.0},
      {"type": "Multiply", "operands": [0, 1]},
      {"type": "Add", "operands": [3, 2]}
     ],
     "params": [
      {"node": 0, "value": 0.5}
     ]}

* ``nodes`` is the node table in topological order: each distinct node once,
  operands referring to *earlier* entries by index, so sharing is kept and
  cycles cannot be written.  The expression is the last entry; every other
  entry is used by a later one.
* A leaf is ``{"type": "Constant", "value": V}`` or ``{"type": "Input" |
  "Parameter", "name": str | null}`` (null for an unnamed leaf).  An operation
  is ``{"type": class name, "operands": [indices]}``, plus ``"settings":
  {name: value}`` when its class lists ``settings`` (such as ``axis``).  A
  setting is JSON (null, a boolean, a number, a string or a list of them);
  a float that JSON cannot write, such as the infinite bound of a `Clip`, is
  ``{"float": "inf"}`` (``"-inf"``, ``"nan"``).
* ``params`` gives a value to Parameter entries by index.
* A value V is a float64 number, written as a JSON number (Python writes the
  shortest text that reads back to the same bits) or, when not finite, as the
  string ``"inf"``, ``"-inf"``, ``"nan"`` or ``"nan:<16 hex digits>"`` (a NaN
  with other bits); or an array ``{"dtype": "float64", "shape": [..],
  "data": [V, ...]}`` with the elements in row-major order.  Values round-trip
  bit for bit.

Loading reads the file in pieces (`exprdiff.keep.json_stream`) and builds each
node as its entry is parsed, when the header comes before the node table as
`save` writes it: it needs about the memory of the model itself.

Built-in operations are found by class name among `exprdiff.ops.BUILTIN_OPS`;
user-defined ones are saved by class name and loaded only when
their classes are passed to `load`.  Loading validates everything and
raises `ValueError` saying what is wrong and where for any malformed,
truncated or hostile file; building nodes is all it ever does.
"""

from __future__ import annotations

import inspect
import io
import json
import math
import os
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from exprdiff.core.nodes import BinaryOp, Constant, Input, NaryOp, Node, Parameter, UnaryOp
from exprdiff.core.plan import plan_for
from exprdiff.core.values import as_value, short_repr
from exprdiff.keep.atomic_files import write_atomically
from exprdiff.keep.json_stream import JSONStream
from exprdiff.ops import BUILTIN_OPS

__all__ = ["FORMAT_VERSION", "dumps", "load", "loads", "save"]

#: the version written by `save`; files with a newer version are refused
FORMAT_VERSION = 1
_FORMAT = "exprdiff"
_LEAVES = {"Constant": Constant, "Input": Input, "Parameter": Parameter}
_OPERATION_BASES = (UnaryOp, BinaryOp, NaryOp)
_CANONICAL_NAN = 0x7FF8000000000000
_MAX_SETTING_DEPTH = 16
_MAX_NDIM = 32


# -- saving ------------------------------------------------------------------
def save(path: str | os.PathLike, expr: Node, params: Mapping | None = None) -> None:
    """Save ``expr`` and (optionally) the values of its Parameters to a JSON file.

    The file is written atomically: a temporary file beside ``path`` is
    renamed over it, so a crash never leaves half a model.  The format is
    described in `exprdiff.keep.serialization`.

    >>> import tempfile, pathlib
    >>> from exprdiff import Input, Parameter, Tanh
    >>> w, x = Parameter("w"), Input("x")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "model.json"
    ...     save(path, Tanh(w * x), {w: 0.5})
    ...     model, params = load(path)
    >>> print(model, params)
    tanh(w*x) {Parameter('w'): 0.5}
    """
    write_atomically(Path(path), dumps(expr, params).encode("utf-8"))


def dumps(expr: Node, params: Mapping | None = None) -> str:
    """The JSON text `save` writes.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> print(dumps(2 * w, {w: 0.25}))
    {"format": "exprdiff", "version": 1,
     "nodes": [
      {"type": "Constant", "value": 2.0},
      {"type": "Parameter", "name": "w"},
      {"type": "Multiply", "operands": [0, 1]}
     ],
     "params": [
      {"node": 1, "value": 0.25}
     ]}
    """
    if not isinstance(expr, Node):
        raise TypeError(f"save needs an expression node, got {type(expr).__name__}")
    nodes = plan_for(expr).nodes(expr)
    index = {node: i for i, node in enumerate(nodes)}
    builtins = builtin_ops()
    entries = [_encode_node(node, index, builtins) for node in nodes]
    saved = []
    for param, value in (params or {}).items():
        if not isinstance(param, Parameter):
            raise TypeError(f"params must be keyed by Parameter nodes, got the key {param!r}")
        if param not in index:
            raise ValueError(
                f"params has a value for {param!r}, which does not occur in the expression; "
                "save only the expression's parameters"
            )
        saved.append((index[param], as_value(value, f"Parameter {param.label!r}")))
    lines = [
        json.dumps({"format": _FORMAT, "version": FORMAT_VERSION})[:-1] + ",",
        ' "nodes": [',
        ",\n".join("  " + _dump(entry) for entry in entries),
        " ],",
        ' "params": [',
        ",\n".join(
            "  " + _dump({"node": i, "value": _encode_value(value)}) for i, value in sorted(saved)
        ),
        " ]}",
    ]
    return "\n".join(line for line in lines if line)


def _dump(entry: dict) -> str:
    return json.dumps(entry, allow_nan=False, ensure_ascii=False)


def _encode_node(node: Node, index: dict, builtins: dict) -> dict:
    kind = type(node)
    children = node.children
    if not children:
        name = kind.__name__
        if _LEAVES.get(name) is not kind:
            raise TypeError(f"cannot save the leaf {node!r}: only Constant, Input and Parameter")
        if kind is Constant:
            return {"type": name, "value": _encode_value(node.value)}
        return {"type": name, "name": node.name}
    name = kind.__name__
    if not issubclass(kind, _OPERATION_BASES):
        raise TypeError(
            f"cannot save {name}: operations must subclass UnaryOp, BinaryOp or NaryOp")
    if name in _LEAVES or (name in builtins and builtins[name] is not kind):
        raise ValueError(
            f"cannot save the user-defined operation class {name!r}: its name is taken by "
            f"exprdiff's built-in {name}; rename the class"
        )
    entry: dict = {"type": name, "operands": [index[child] for child in children]}
    if kind.settings:
        entry["settings"] = {
            key: _check_setting(getattr(node, key), name, key) for key in kind.settings
        }
    return entry


def _check_setting(value: Any, op: str, key: str, depth: int = 0) -> Any:
    """The JSON form of a setting: as it is, but lists for tuples and non-finite floats
    as ``{"float": "inf"}``."""
    if isinstance(value, (list, tuple)) and depth < _MAX_SETTING_DEPTH:
        return [_check_setting(item, op, key, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": _encode_float(value)}
    if value is not None and not isinstance(value, (bool, int, str, float)):
        raise TypeError(
            f"cannot save {op} setting {key}={value!r}: settings must be None, booleans, "
            "integers, floats, strings or (nested) lists of them"
        )
    return value


def _encode_value(value: float | np.ndarray) -> Any:
    if not isinstance(value, np.ndarray):
        return _encode_float(value)
    data = value.ravel().tolist()
    if not np.isfinite(value).all():
        data = [_encode_float(v) for v in data]
    return {"dtype": "float64", "shape": list(value.shape), "data": data}


def _encode_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if value == math.inf:
        return "inf"
    if value == -math.inf:
        return "-inf"
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    return "nan" if bits == _CANONICAL_NAN else f"nan:{bits:016x}"


# -- loading -----------------------------------------------------------------
def builtin_ops() -> dict[str, type]:
    """The built-in operation classes by name: `exprdiff.ops.BUILTIN_OPS`.

    >>> builtin_ops()["Tanh"]
    <class 'exprdiff.ops.elementary.Tanh'>
    """
    return {op.__name__: op for op in BUILTIN_OPS}


def load(path: str | os.PathLike, ops: Iterable[type] = ()) -> tuple[Node, dict]:
    """Load ``(expr, params)`` saved by `save`; ``params`` is ``{}`` when none were saved.

    The loaded Parameter nodes are the keys of ``params``.  ``ops`` lists the
    user-defined operation classes the file may use.  A malformed, truncated
    or hostile file raises `ValueError` saying what is wrong and where.

    >>> import tempfile, pathlib
    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "square.json"
    ...     save(path, w * w, {w: 3.0})
    ...     square, params = load(path)
    >>> square(params)
    9.0
    """
    ops = list(ops)
    table = _op_table(ops)  # a bad ops list is reported before the file is read
    # the file is read in pieces and each node built as its entry is parsed: loading
    # needs about the memory of the model itself (and of one piece of text)
    with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        try:
            return _read_stream(JSONStream(text.read, _DECODER), _Reader(str(path), table))
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not an exprdiff file (not UTF-8 text: {error})") from None


def loads(text: str, ops: Iterable[type] = (), *, source: str = "text") -> tuple[Node, dict]:
    """Load ``(expr, params)`` from the JSON text `dumps` writes (see `load`).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> model, params = loads(dumps(w + 1, {w: 2.0}))
    >>> model(params)
    3.0
    """
    if not isinstance(text, str):
        raise ValueError(f"{source}: expected JSON text, got {type(text).__name__}")
    return _read_stream(JSONStream.of_text(text, _DECODER), _Reader(source, _op_table(ops)))


def _read_stream(stream: JSONStream, reader: _Reader) -> tuple[Node, dict]:
    """Parse the document from ``stream``, handing each node entry to ``reader`` as it comes.

    When the header (format and version) comes before the node table, as
    `save` writes it, the nodes are built one entry at a time; in any other
    layout the document is parsed whole first.
    """
    try:
        if stream.peek() != "{":
            document = stream.value()
            _check_end(stream)
            return reader.read(document)
        stream.take("{")
        header: dict = {}
        streamed = False
        while stream.peek() != "}" or header or streamed:
            if header or streamed:
                stream.take(",")
            key = stream.value()
            if not isinstance(key, str):
                raise stream.error("expecting a property name in double quotes")
            if key in header or (key == "nodes" and streamed):
                raise ValueError(f"invalid JSON: the key {key!r} appears twice in one object")
            stream.take(":")
            if key == "nodes" and "format" in header and "version" in header \
                    and stream.peek() == "[":
                reader.header(header)
                reader.start()
                _stream_nodes(stream, reader)
                streamed = True
            else:
                header[key] = stream.value()
            if stream.peek() == "}":
                break
        stream.take("}")
        _check_end(stream)
    except RecursionError:
        raise reader.fail_file("JSON nested too deeply") from None
    except ValueError as error:
        if getattr(error, "worded", False) or isinstance(error, UnicodeDecodeError):
            raise
        message = str(error)
        if not message.startswith("invalid JSON: "):
            message = f"invalid JSON: {message}"
        raise reader.fail_file(message) from None
    if not streamed:
        return reader.read(header)
    return reader.finish(header)


def _stream_nodes(stream: JSONStream, reader: _Reader) -> None:
    """The node table, one entry at a time: each is built, then its parsed form dropped."""
    stream.take("[")
    if stream.peek() != "]":
        while True:
            reader.add(stream.value())
            if stream.peek() != ",":
                break
            stream.take(",")
    stream.take("]")


def _check_end(stream: JSONStream) -> None:
    if not stream.at_end():
        raise stream.error("extra data after the document")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed; non-finite numbers are written as strings")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of the float64 range")
    return value


def _no_duplicate_keys(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {duplicate!r} appears twice in one object")
    return result


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float,
                            object_pairs_hook=_no_duplicate_keys)


def _load_error(message: str) -> ValueError:
    """A fault the reader found in a well-formed document, already worded for the user."""
    error = ValueError(message)
    error.worded = True  # _read_stream passes it through as it is
    return error


def _op_table(ops: Iterable[type]) -> dict[str, type]:
    table = builtin_ops()
    for op in ops:
        if not (isinstance(op, type) and issubclass(op, _OPERATION_BASES)):
            raise TypeError(f"ops must be UnaryOp, BinaryOp or NaryOp subclasses, got {op!r}")
        name = op.__name__
        if name in _LEAVES or table.get(name, op) is not op:
            raise ValueError(f"the operation class {name!r} clashes with exprdiff's own {name}")
        table[name] = op
    return table


def _defaulted_settings(op: type) -> set[str]:
    """The settings ``op``'s constructor gives a default, which a file may leave out."""
    try:
        parameters = inspect.signature(op).parameters
    except (TypeError, ValueError):
        return set()
    return {name for name in op.settings
            if name in parameters and parameters[name].default is not inspect.Parameter.empty}


class _Reader:
    """Validates a parsed document and builds its nodes, naming the place of any fault."""

    def __init__(self, source: str, ops: dict[str, type]) -> None:
        self.source = source
        self.ops = ops

    def fail(self, where: str, problem: str) -> ValueError:
        return _load_error(f"{self.source}: {where}: {problem}")

    def fail_file(self, problem: str) -> ValueError:
        return _load_error(f"{self.source}: not an exprdiff file ({problem})")

    def read(self, document: Any) -> tuple[Node, dict]:
        """Build the model from a whole parsed document."""
        self.header(document)
        entries = document.get("nodes")
        if not isinstance(entries, list) or not entries:
            raise self.fail("nodes", "must be a non-empty list")
        self.start()
        for entry in entries:
            self.add(entry)
        return self.finish(document)

    def header(self, document: Any) -> None:
        """Check the format, the version and the top-level keys (those seen so far)."""
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise self.fail("top level", 'not an exprdiff file (no "format": "exprdiff")')
        self.keys(document, "top level", {"format", "version", "nodes", "params"})
        version = document.get("version")
        if type(version) is not int or version < 1:
            raise self.fail("version", f"must be a positive integer, got {short_repr(version)}")
        if version > FORMAT_VERSION:
            raise self.fail(
                "version",
                f"the file has format version {version}, newer than this exprdiff reads "
                f"(up to {FORMAT_VERSION}); upgrade exprdiff to load it",
            )

    def start(self) -> None:
        self.nodes: list[Node] = []
        self.used: list[bool] = []

    def add(self, entry: Any) -> None:
        """Build the next node of the table from its entry."""
        self.used.append(False)
        self.nodes.append(self.node(len(self.nodes), entry, self.nodes, self.used))

    def finish(self, document: dict) -> tuple[Node, dict]:
        """Check the table as a whole and read the params (``document``'s other keys)."""
        self.header(document if "format" in document else {**document, "format": _FORMAT})
        nodes = self.nodes
        if not nodes:
            raise self.fail("nodes", "must be a non-empty list")
        unused = next((i for i in range(len(nodes) - 1) if not self.used[i]), None)
        if unused is not None:
            raise self.fail(f"node {unused}", "is not used by the expression (the last node)")
        return nodes[-1], self.params(document.get("params", []), nodes)

    def keys(self, entry: dict, where: str, allowed: set, required: set = frozenset()) -> None:
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key {unknown[0]!r}")
        missing = sorted(required - set(entry))
        if missing:
            raise self.fail(where, f"missing key {missing[0]!r}")

    def node(self, i: int, entry: Any, nodes: list, used: list) -> Node:
        fast = self._plain_operation(i, entry, nodes, used)
        if fast is not None:
            return fast
        where = f"node {i}"
        if not isinstance(entry, dict):
            raise self.fail(where, f"must be an object, got {short_repr(entry)}")
        kind = entry.get("type")
        if not isinstance(kind, str):
            raise self.fail(where, f'"type" must be a string, got {short_repr(kind)}')
        where = f"node {i} ({kind[:40]})"
        if kind == "Constant":
            self.keys(entry, where, {"type", "value"}, {"value"})
            return Constant(self.value(entry["value"], where))
        if kind in _LEAVES:
            self.keys(entry, where, {"type", "name"}, {"name"})
            name = entry["name"]
            if name is not None and not isinstance(name, str):
                raise self.fail(where, f"name must be a string or null, got {short_repr(name)}")
            return _LEAVES[kind](name)
        op = self.ops.get(kind)
        if op is None:
            raise self.fail(
                where,
                f"unknown operation {kind[:60]!r}: if it is your own class, pass it to load "
                f"with ops=[{kind[:60]}]",
            )
        self.keys(entry, where, {"type", "operands", "settings"}, {"operands"})
        operands = self.operands(entry["operands"], op.arity, i, where)
        for k in operands:
            used[k] = True
        settings = self.settings(entry.get("settings", {}), op, where)
        try:
            return op(*[nodes[k] for k in operands], **settings)
        except (TypeError, ValueError, ArithmeticError) as error:  # the class checks its settings
            raise self.fail(where, f"cannot be built from the saved operands: {error}") from None

    def _plain_operation(self, i: int, entry: Any, nodes: list, used: list) -> Node | None:
        """The common entry, an operation without settings on valid operands, built
        quickly; None for anything else, which `node` checks in full."""
        if type(entry) is not dict or len(entry) != 2:
            return None
        kind = entry.get("type")
        op = self.ops.get(kind) if type(kind) is str else None
        operands = entry.get("operands")
        if op is None or op.settings or type(operands) is not list \
                or len(operands) != op.arity:
            return None
        for k in operands:
            if type(k) is not int or not 0 <= k < i:
                return None
        try:
            node = op(*[nodes[k] for k in operands])
        except (TypeError, ValueError, ArithmeticError):
            return None  # `node` says why
        for k in operands:
            used[k] = True
        return node

    def operands(self, operands: Any, arity: int | None, i: int, where: str) -> list[int]:
        """The operand indices: ``arity`` of them (None: any number, at least one)."""
        count = f"{arity}" if arity is not None else "one or more"
        if not isinstance(operands, list) or (
                len(operands) != arity if arity is not None else not operands):
            raise self.fail(where, f'"operands" must be a list of {count} node indices, '
                                   f"got {short_repr(operands)}")
        for k in operands:
            if type(k) is not int:
                raise self.fail(where, f"operand {short_repr(k)} is not a node index")
            if not 0 <= k < i:
                raise self.fail(
                    where,
                    f"operand {k} does not refer to an earlier node (operands must come "
                    "earlier in the table, which also rules out cycles)",
                )
        return operands

    def settings(self, settings: Any, op: type, where: str) -> dict:
        if not isinstance(settings, dict):
            raise self.fail(where, f'"settings" must be an object, got {short_repr(settings)}')
        expected = set(op.settings)
        # a file from before a setting was added (keepdims) leaves it at its default
        missing = expected - set(settings) - _defaulted_settings(op)
        if not set(settings) <= expected or missing:
            raise self.fail(
                where,
                f"settings {sorted(settings)} do not match {op.__name__}'s {sorted(expected)}",
            )
        return {key: self.setting(value, where, key) for key, value in settings.items()}

    def setting(self, value: Any, where: str, key: str, depth: int = 0) -> Any:
        if depth > _MAX_SETTING_DEPTH:
            raise self.fail(where, f"setting {key!r} is nested too deeply")
        if isinstance(value, list):
            return tuple(self.setting(item, where, key, depth + 1) for item in value)
        if isinstance(value, dict):
            if set(value) == {"float"} and value["float"] in ("inf", "-inf", "nan"):
                return self.number(value["float"], where)
            raise self.fail(where, f'setting {key!r} must not be an object other than '
                                   f'{{"float": "inf"}}, "-inf" or "nan", got {short_repr(value)}')
        return value

    def value(self, value: Any, where: str) -> float | np.ndarray:
        if not isinstance(value, dict):
            return self.number(value, where)
        self.keys(value, where, {"dtype", "shape", "data"}, {"dtype", "shape", "data"})
        if value["dtype"] != "float64":
            raise self.fail(where, f'dtype must be "float64", got {short_repr(value["dtype"])}')
        shape, data = value["shape"], value["data"]
        if not isinstance(shape, list) or len(shape) > _MAX_NDIM or not all(
            type(n) is int and n >= 0 for n in shape
        ):
            raise self.fail(where, f"shape must be a list of sizes >= 0, got {short_repr(shape)}")
        if not isinstance(data, list) or len(data) != math.prod(shape):
            count = len(data) if isinstance(data, list) else short_repr(data)
            raise self.fail(where, f"shape {tuple(shape)} needs {math.prod(shape)} numbers, "
                                   f"the data has {count}")
        numbers = [self.number(item, where) for item in data]
        try:
            return np.array(numbers, dtype=np.float64).reshape(shape)
        except ValueError as error:  # sizes beyond what NumPy can index
            raise self.fail(where, f"shape {short_repr(shape)} is not usable: {error}") from None

    def number(self, value: Any, where: str) -> float:
        if type(value) is float:
            return value
        if type(value) is int:
            try:
                return float(value)
            except OverflowError:
                raise self.fail(where, "a number is out of the float64 range") from None
        if isinstance(value, str):
            special = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}.get(value)
            if special is not None:
                return special
            if value.startswith("nan:") and len(value) == 20:
                try:
                    bits = int(value[4:], 16)
                except ValueError:
                    bits = 0
                number = struct.unpack("<d", struct.pack("<Q", bits))[0]
                if math.isnan(number) and value[4:] == f"{bits:016x}":
                    return number
        raise self.fail(where, f"expected a number, got {short_repr(value)}")

    def params(self, entries: Any, nodes: list) -> dict:
        if not isinstance(entries, list):
            raise self.fail("params", f"must be a list, got {short_repr(entries)}")
        params: dict = {}
        for j, entry in enumerate(entries):
            where = f"params entry {j}"
            if not isinstance(entry, dict):
                raise self.fail(where, f"must be an object, got {short_repr(entry)}")
            self.keys(entry, where, {"node", "value"}, {"node", "value"})
            k = entry["node"]
            if type(k) is not int or not 0 <= k < len(nodes) or type(nodes[k]) is not Parameter:
                raise self.fail(where, f"node {short_repr(k)} is not a Parameter of the table")
            if nodes[k] in params:
                raise self.fail(where, f"Parameter node {k} is given a value twice")
            params[nodes[k]] = self.value(entry["value"], where)
        return params
