"""Write docs/api.md: every public name of exprdiff with its signature and one-line purpose,
and the table of built-in operations (from `exprdiff.ops.BUILTIN_OPS` and their classes).

Run: python docs/make_api.py      (tests/test_api_reference.py checks the file is current)
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from pathlib import Path

import exprdiff
from exprdiff.core.printing import function_name
from exprdiff.ops import BUILTIN_OPS
from exprdiff.show.latex import template_of

API_PAGE = Path(__file__).resolve().parent / "api.md"
#: modules whose names stay in their module (``from exprdiff.nn import MLP``):
#: plot and animation keep matplotlib out of ``import exprdiff``; the others are toolkits
BY_MODULE = ["exprdiff.datasets", "exprdiff.gates", "exprdiff.losses", "exprdiff.nn",
             "exprdiff.plot", "exprdiff.show.animation"]


def signature_of(obj: object) -> str:
    """The call signature as text, ``""`` when Python cannot tell it."""
    try:
        signature = inspect.signature(obj, eval_str=True)
    except NameError:  # an annotation naming something only imported for type checking
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    if inspect.isclass(obj):
        signature = signature.replace(return_annotation=inspect.Signature.empty)
    return str(signature).replace("NoneType", "None")


def purpose_of(obj: object) -> str:
    """The first line of the docstring."""
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def entry(name: str, obj: object) -> str:
    """One line: name, signature, kind and purpose."""
    if not callable(obj):
        if isinstance(obj, Mapping):
            return f"- `{name}` (value): a mapping with keys {', '.join(map(repr, obj))}"
        text = repr(sorted(obj) if isinstance(obj, (set, frozenset)) else obj)
        return f"- `{name}` (value): the constant `{text}`"
    kind = "class" if inspect.isclass(obj) else "function"
    return f"- `{name}{signature_of(obj)}` ({kind}): {purpose_of(obj)}"


def _operands(op: type) -> list[str]:
    """The operand names the table writes: ``x``; ``a``, ``b``; ``c``, ``a``, ``b`` (a where);
    ``a``, ``b``, ``…`` for any number."""
    return {1: ["x"], 2: ["a", "b"], 3: ["c", "a", "b"]}.get(op.arity, ["a", "b", "…"])


def text_form(op: type) -> str:
    """How the operation prints on operands ``x`` or ``a``, ``b``: ``a + b``, ``sum(x, axis=…)``."""
    operands = _operands(op)
    if op.subscript:
        return "x[key]"
    if op.symbol and len(operands) == 1:
        return op.symbol + "x"
    if op.symbol:
        return f" {op.symbol} ".join(operands) if op.spaced else op.symbol.join(operands)
    return f"{function_name(op)}({', '.join(operands + [f'{key}=…' for key in op.settings])})"


def latex_form(op: type) -> str:
    """The class's LaTeX form on the same operands."""
    operands = _operands(op)
    if op.subscript:
        return r"x\left[\mathrm{key}\right]"
    template = template_of(op, len(operands))
    for i, operand in enumerate(operands):
        template = template.replace(f"#{i + 1}", operand)
    return template


def numpy_form(op: type) -> str:
    """The NumPy code `to_python` writes for it."""
    operands = _operands(op)
    if op.numpy_code is not None:
        return op.numpy_code.format(*operands, operands=", ".join(operands),
                                    **{key: key for key in op.settings})
    return f"np.{op.ufunc.__name__}({', '.join(operands)})"


def sympy_form(op: type) -> str:
    """Its SymPy counterpart: SymPy's function, a function exprdiff defines, or a form."""
    if not op.elementwise or (op.settings and op.sympy_form is None):
        return "—"
    if op.sympy_name is None:
        import sympy

        operands = list(map(sympy.Symbol, _operands(op)))
        settings = {key: sympy.Symbol(key) for key in op.settings}
        note = ""
        if op.arity == 3:  # a where: its condition is a relation
            operands[0], note = operands[0] > 0, " (for the condition `c > 0`)"
        return _cell(str(op.sympy_form(sympy, *operands, **settings))) + note
    return f"`{op.sympy_name}`" + (" (defined by exprdiff)" if op.sympy_form else "")


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def operations_table() -> list[str]:
    """The Markdown table of `BUILTIN_OPS`, one row per operation."""
    lines = [
        "| operation | prints as | LaTeX | NumPy (`to_python`) | SymPy | elementwise |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for op in BUILTIN_OPS:
        cells = [f"`{op.__name__}`", _cell(text_form(op)), _cell(latex_form(op)),
                 _cell(numpy_form(op)), sympy_form(op), "yes" if op.elementwise else "no"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render() -> str:
    """The whole API page, grouped by the module each name is defined in."""
    by_module: dict[str, list[str]] = {}
    for name in exprdiff.__all__:
        obj = getattr(exprdiff, name)
        module = getattr(obj, "__module__", "exprdiff") or "exprdiff"
        by_module.setdefault(module, []).append(name)
    lines = [
        "# API reference",
        "",
        "Every public name of `exprdiff` (`from exprdiff import ...`), grouped by the module",
        "that defines it. Generated from the docstrings by `python docs/make_api.py`.",
        "",
    ]
    for module in sorted(by_module):
        lines += [f"## `{module}`", ""]
        lines += [entry(name, getattr(exprdiff, name)) for name in sorted(by_module[module])]
        lines.append("")
    lines += [
        "# Built-in operations",
        "",
        "`exprdiff.ops.BUILTIN_OPS`, each class holding everything particular to it (see",
        "[Adding your own operation](custom_ops.md)). Generated from the classes by",
        "`python docs/make_api.py`.",
        "",
        *operations_table(),
        "",
    ]
    lines += ["# Modules imported by name", ""]
    for module_name in BY_MODULE:
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}`", "", purpose_of(module), ""]
        lines += [entry(name, getattr(module, name)) for name in sorted(module.__all__)]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    API_PAGE.write_text(render())
    print(f"wrote {API_PAGE}")
