"""optimize's progress bar: tqdm's widget only where it can show, the text bar elsewhere, no warning."""

from __future__ import annotations

import io
import os
import sys
import types
import warnings

import pytest

from exprdiff.fit import progress


@pytest.fixture
def in_a_kernel(monkeypatch):
    """Pretend to run inside a Jupyter kernel, as tqdm's own test of it reads it."""
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    for name in [name for name in os.environ if name == "QT_API" or name.startswith("SPYDER")]:
        monkeypatch.delenv(name)


def test_outside_jupyter_the_bar_is_text():
    assert not progress.widget_bar_usable()
    bar = progress.progress_bar(5, file=io.StringIO())
    assert type(bar).__module__ == "tqdm.std"
    bar.close()


def test_in_a_kernel_without_ipywidgets_the_bar_is_text_and_nothing_warns(in_a_kernel, monkeypatch):
    """What tqdm.auto gets wrong: there it warns 'IProgress not found'."""
    monkeypatch.setattr(progress, "_ipywidgets_installed", lambda: False)
    assert not progress.widget_bar_usable()
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bar = progress.progress_bar(3, file=out)
        bar.update(3)
        bar.close()
    assert type(bar).__module__ == "tqdm.std"
    assert "optimize: 100%" in out.getvalue() and "3/3" in out.getvalue()


def test_in_a_kernel_with_ipywidgets_the_widget_is_chosen(in_a_kernel, monkeypatch):
    monkeypatch.setattr(progress, "_ipywidgets_installed", lambda: True)
    assert progress.widget_bar_usable()


def test_a_qt_console_kernel_gets_the_text_bar(in_a_kernel, monkeypatch):
    monkeypatch.setattr(progress, "_ipywidgets_installed", lambda: True)
    monkeypatch.setenv("QT_API", "pyqt5")
    assert not progress.widget_bar_usable()


def test_an_ipywidgets_that_does_not_import_counts_as_missing(in_a_kernel, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets raises ImportError
    assert not progress._ipywidgets_installed()
    assert not progress.widget_bar_usable()
