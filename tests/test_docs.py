"""Every example in the docs, the README and the docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest
from op_table import TABLE

import exprdiff
from exprdiff.core import nodes

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("**/*.md")) + [ROOT / "README.md"]
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(exprdiff.__path__, prefix="exprdiff.")
    if not info.name.endswith("__main__")
)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.fixture(autouse=True)
def _ufunc_table_restored():
    """Examples that register a ufunc (register_ufunc) leave the table as they found it."""
    saved = dict(nodes._OPERATION_FOR_UFUNC)
    yield
    nodes._OPERATION_FOR_UFUNC.clear()
    nodes._OPERATION_FOR_UFUNC.update(saved)


#: pages whose examples take seconds: a 100 000-term sum, networks trained on moons and digits
SLOW_PAGES = {"docs/expressions.md", "docs/networks.md"}


@pytest.mark.parametrize("page", [
    pytest.param(page, id=str(page.relative_to(ROOT)),
                 marks=[pytest.mark.slow] if str(page.relative_to(ROOT)) in SLOW_PAGES else [])
    for page in PAGES
])
def test_page_examples_run(page):
    """Each `>>>` example on a Markdown page gives the output the page shows."""
    result = doctest.testfile(str(page), module_relative=False, optionflags=OPTIONS)
    assert result.failed == 0


@pytest.mark.parametrize("name", ["exprdiff", *MODULES])
def test_docstring_examples_run(name):
    """Each `>>>` example in a module's docstrings gives the output it shows."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=OPTIONS)
    assert result.failed == 0


def test_every_public_function_has_an_example():
    """Public functions and classes of exprdiff carry a docstring with a `>>>` example."""
    missing = [
        name for name in exprdiff.__all__
        if callable(getattr(exprdiff, name))
        and ">>>" not in (getattr(exprdiff, name).__doc__ or "")
        and name not in _EXAMPLE_ELSEWHERE
    ]
    assert missing == []


# Operations whose docstring is a formula: their examples are their rows of the op
# test table (tests/op_table.py), which checks each one's value and derivative.
_EXAMPLE_ELSEWHERE = set(TABLE)


def test_the_slow_pages_are_pages():
    """Each page marked slow exists, so the mark cannot silently stop applying."""
    assert SLOW_PAGES <= {str(page.relative_to(ROOT)) for page in PAGES}
