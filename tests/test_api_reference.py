"""The API reference page documents every public name and is up to date."""

import re

from docs_scripts import DOCS, load_docs_script

import exprdiff


def test_every_public_name_is_documented():
    """Each name in exprdiff.__all__ has an entry with a one-line purpose in docs/api.md."""
    page = (DOCS / "api.md").read_text()
    entries = dict(re.findall(r"^- `(\w+)[^`]*` \(\w+\): (.*)$", page, flags=re.M))
    assert sorted(entries) == sorted(exprdiff.__all__)
    assert all(purpose.strip() for purpose in entries.values())


def test_page_matches_the_docstrings():
    """docs/api.md is what docs/make_api.py generates now (rerun it after changing the API)."""
    assert (DOCS / "api.md").read_text() == load_docs_script("make_api.py").render()


def test_all_is_sorted_and_complete():
    """exprdiff.__all__ is sorted, has no duplicates and every name exists."""
    names = exprdiff.__all__
    assert names == sorted(names) and len(set(names)) == len(names)
    assert all(hasattr(exprdiff, name) for name in names)
