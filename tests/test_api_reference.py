"""The API reference page documents every public name and is up to date."""

import importlib
import re

from docs_scripts import DOCS, load_docs_script

import exprdiff


def _entries(text):
    return dict(re.findall(r"^- `(\w+)[^`]*` \(\w+\): (.*)$", text, flags=re.M))


def test_every_public_name_is_documented():
    """Each name in exprdiff.__all__ has an entry with a one-line purpose in docs/api.md."""
    top, _, by_module = (DOCS / "api.md").read_text().partition("# Modules imported by name")
    entries = _entries(top)
    assert sorted(entries) == sorted(exprdiff.__all__)
    assert all(purpose.strip() for purpose in entries.values())


def test_every_name_of_the_toolkit_modules_is_documented():
    """Each public name of nn, losses, datasets, gates, plot and animation has an entry in its
    section."""
    sections = re.split(r"^## `(exprdiff[.\w]+)`$", (DOCS / "api.md").read_text(), flags=re.M)
    by_module = dict(zip(sections[1::2], sections[2::2]))
    modules = load_docs_script("make_api.py").BY_MODULE
    assert set(modules) <= set(by_module)
    for name in modules:
        entries = _entries(by_module[name])
        assert sorted(entries) == sorted(importlib.import_module(name).__all__)
        assert all(purpose.strip() for purpose in entries.values())


def test_page_matches_the_docstrings():
    """docs/api.md is what docs/make_api.py generates now (rerun it after changing the API)."""
    assert (DOCS / "api.md").read_text() == load_docs_script("make_api.py").render()


def test_all_is_sorted_and_complete():
    """exprdiff.__all__ is sorted, has no duplicates and every name exists."""
    names = exprdiff.__all__
    assert names == sorted(names) and len(set(names)) == len(names)
    assert all(hasattr(exprdiff, name) for name in names)
