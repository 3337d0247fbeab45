"""Write docs/api.md: every public name of exprdiff with its signature and one-line purpose.

Run: python docs/make_api.py      (tests/test_api_reference.py checks the file is current)
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from pathlib import Path

import exprdiff

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
