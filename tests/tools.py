"""The tools some tests need (IPython, Jupyter, MkDocs, Chromium): skip without them, except in CI.

A developer without the ``docs`` extra or Chromium sees these tests skipped,
with the install command as the reason.  In CI (``CI`` set, as ``.ci/run``
runs), where ``.ci/run`` installs them all, a missing tool fails the test
instead: a green CI run has run them.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

DOCS_EXTRA = 'python -m pip install -e ".[docs]"'
CHROMIUM = "/usr/bin/chromium"


def _missing(what: str, hint: str):
    message = f"{what} is not installed ({hint})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: .ci/run installs it, so in CI this test must run", pytrace=False)
    pytest.skip(message)


def require_module(name: str, hint: str = DOCS_EXTRA) -> ModuleType:
    """Import ``name``, or skip the test (fail it in CI) saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python module {name}", hint)


def require_program(path: str, hint: str) -> str:
    """The program's path, or skip the test (fail it in CI) saying how to install it."""
    found = shutil.which(path)
    if found is None:
        _missing(f"the program {path}", hint)
    return found
