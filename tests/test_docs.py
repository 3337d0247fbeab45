"""Every example in the docs, the README and the docstrings runs and prints what it shows."""

import doctest
import importlib
import importlib.util
import pkgutil
import re
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


def skip_unless_installed(libraries) -> None:
    """Skip, naming them, when libraries the examples need (JAX, PyTorch: extras) are missing."""
    missing = [name for name in libraries if not _installed(name)]
    if missing:
        pytest.skip(f"the examples need {', '.join(missing)}, which is not installed")


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def page_requires(text: str) -> list[str]:
    """The libraries a page's examples need, from its ``<!-- doctest-requires: jax torch -->``."""
    return [name for line in re.findall(r"<!-- doctest-requires: ([\w ]+) -->", text)
            for name in line.split()]


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
    skip_unless_installed(page_requires(page.read_text()))
    result = doctest.testfile(str(page), module_relative=False, optionflags=OPTIONS)
    assert result.failed == 0


@pytest.mark.parametrize("name", ["exprdiff", *MODULES])
def test_docstring_examples_run(name):
    """Each `>>>` example in a module's docstrings gives the output it shows.

    A module whose examples need an optional library says so in
    ``__doctest_requires__`` (a tuple of module names), and is skipped without it.
    """
    module = importlib.import_module(name)
    skip_unless_installed(getattr(module, "__doctest_requires__", ()))
    result = doctest.testmod(module, optionflags=OPTIONS)
    assert result.failed == 0


def test_a_page_says_what_its_examples_need():
    """The marker is read from the page, and a missing library skips (never fails) it."""
    assert page_requires("text\n<!-- doctest-requires: jax torch -->\n") == ["jax", "torch"]
    with pytest.raises(pytest.skip.Exception, match="no_such_library"):
        skip_unless_installed(["no_such_library"])


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
