"""Write docs/api.md: every public name of exprdiff with its signature and one-line purpose.

Run: python docs/make_api.py      (tests/test_api_reference.py checks the file is current)
"""

from __future__ import annotations

import inspect
from pathlib import Path

import exprdiff

API_PAGE = Path(__file__).resolve().parent / "api.md"


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
        for name in sorted(by_module[module]):
            obj = getattr(exprdiff, name)
            kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "value"
            lines.append(f"- `{name}{signature_of(obj) if callable(obj) else ''}` ({kind}): "
                         f"{purpose_of(obj)}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    API_PAGE.write_text(render())
    print(f"wrote {API_PAGE}")
