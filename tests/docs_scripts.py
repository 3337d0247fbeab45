"""Loading the scripts under docs/ (they are not a package) for the tests."""

import importlib.util
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parent.parent / "docs"


def load_docs_script(relative_path: str) -> ModuleType:
    """Import docs/<relative_path> as a module."""
    path = DOCS / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
