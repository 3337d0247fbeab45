"""Fixtures shared by several test files: the website, built once per test run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tools import require_module

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> tuple[Path, str]:
    """``mkdocs build --strict`` of this tree into a temporary folder: (the folder, its log).

    The build executes the notebooks (mkdocs-jupyter) in kernels that import
    this tree, as the site it makes shows their outputs.
    """
    for module in ("mkdocs", "material", "mkdocs_jupyter", "ipykernel"):
        require_module(module)
    site = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "NO_MKDOCS_2_WARNING": "1",  # Material's banner about its successor
        "JUPYTER_PLATFORM_DIRS": "1",  # jupyter_core's own future default, without its warning
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    return site, log
