"""JAX and PyTorch are optional extras: never imported by exprdiff itself, named when missing."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import exprdiff

ROOT = Path(exprdiff.__file__).resolve().parent.parent


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_importing_exprdiff_imports_neither_library():
    """import exprdiff (and building, evaluating, fitting with NumPy) loads no JAX, no torch."""
    out = run("""
        import sys
        import exprdiff
        from exprdiff import Input, Parameter, optimize
        w, x = Parameter("w"), Input("x")
        optimize((w * x - 1.0) ** 2, {w: 0.0}, {x: [1.0, 2.0]}, epochs=3)
        print(sorted(name for name in ("jax", "jaxlib", "torch") if name in sys.modules))
    """)
    assert out == "[]"


@pytest.mark.parametrize(("library", "call"), [
    ("jax", "exprdiff.to_jax(w * x)"),
    ("torch", "exprdiff.to_torch(w * x, {w: 1.0})"),
    ("jax", "exprdiff.optimize(w * x, {w: 1.0}, {x: [1.0]}, epochs=1, backend='jax')"),
    ("torch", "exprdiff.optimize(w * x, {w: 1.0}, {x: [1.0]}, epochs=1, backend='torch')"),
])
def test_a_missing_library_names_its_extra(library, call):
    """Without the library: ImportError saying which function needs it and the extra to install."""
    out = run(f"""
        import sys
        sys.modules[{library!r}] = None  # as if it were not installed
        import exprdiff
        from exprdiff import Input, Parameter
        w, x = Parameter("w"), Input("x")
        try:
            {call}
        except ImportError as error:
            print(error)
    """)
    assert f'pip install "exprdiff[{library}]"' in out and f"needs {library}" in out


def test_the_extras_are_declared():
    """pyproject.toml declares the jax and torch extras (PyTorch's CPU wheel is 2.13.0 here)."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11 on")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("jax") for req in extras["jax"])
    assert any(req.startswith("torch") for req in extras["torch"])
