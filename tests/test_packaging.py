"""The package installs like a real one: its metadata, the built wheel, the command, the types.

The slow tests build the wheel from a copy of the source (offline: no build
isolation, no index), install it into a folder of its own and use it from
there as a user would: the ``exprdiff`` command, and ``mypy --strict`` on a
user's script (tests/typed_scripts/perceptron_script.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import exprdiff
import exprdiff._version

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from the dev extra
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SCRIPT = ROOT / "tests" / "typed_scripts" / "perceptron_script.py"


# -- the project's metadata (quick) -------------------------------------------------------------

def test_the_version_is_written_in_one_place():
    """pyproject.toml reads the version from exprdiff/_version.py; no file repeats it."""
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "exprdiff._version.__version__"
    assert exprdiff.__version__ == exprdiff._version.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|(a|b|rc)\d+)?", exprdiff.__version__)
    holders = [path.relative_to(ROOT).as_posix()
               for path in [ROOT / "pyproject.toml", *sorted((ROOT / "exprdiff").rglob("*.py"))]
               if repr(exprdiff.__version__)[1:-1] in path.read_text()]
    assert holders == ["exprdiff/_version.py"]


def test_the_license_is_an_spdx_expression_and_a_file():
    """PEP 639: ``license = "MIT"`` and the LICENSE file, with a setuptools that knows both."""
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "Permission is hereby granted" in text
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # PEP 639
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]


def test_urls_classifiers_and_the_command_are_declared():
    """The project links its source, docs, issues and changelog; it says it is typed."""
    project = PYPROJECT["project"]
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(project["urls"])
    assert "Typing :: Typed" in project["classifiers"]
    versions = {c.rpartition(":: ")[2] for c in project["classifiers"]
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert min(versions, key=lambda v: int(v.split(".")[1])) == project["requires-python"][2:]
    assert project["scripts"] == {"exprdiff": "exprdiff.keep.cli:main"}
    assert any(requirement.startswith("mypy") for requirement in
               project["optional-dependencies"]["dev"])


def test_the_package_is_marked_typed():
    """PEP 561: the py.typed marker sits in the package and is declared as package data."""
    assert (ROOT / "exprdiff" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["exprdiff"]


def test_the_changelog_names_this_version():
    """CHANGELOG.md has a section for the version being developed and for 0.1.0."""
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[?([\w.]+)\]?", text, flags=re.M)
    assert headings[:1] == [exprdiff.__version__.split(".dev")[0]] and "0.1.0" in headings


def _quickstart() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\n\n```bash\n(.*?)```", readme, flags=re.S).group(1)
    return block.splitlines()


def test_ci_runs_exactly_the_readme_test_command():
    """The Quickstart is two commands; .ci/run installs as the first and ends with the second."""
    install, test = _quickstart()
    assert test == "python -m pytest"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert ci[-1] == test
    spec = re.match(r'python -m pip install -e ("\.\[[\w,]+\]") && ', install).group(1)
    assert "dev" in spec
    assert f"pip install --quiet --disable-pip-version-check -e {spec}" in "\n".join(ci)
    assert "missing+=(graphviz)" in "\n".join(ci) and "missing+=(chromium)" in "\n".join(ci)


def test_the_readme_gives_the_quick_command_and_says_graphviz():
    """Development names the quick run; the README says pictures need Graphviz."""
    readme = (ROOT / "README.md").read_text()
    development = readme.partition("## Development")[2]
    assert 'python -m pytest -m "not slow"' in development
    assert "python -m pytest " in development  # the full run, beside it
    assert "`graphviz` system package" in " ".join(readme.split())


# -- the built wheel, installed (slow) ----------------------------------------------------------

def _run(*argv: str | Path, **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in argv], capture_output=True, text=True,
                          check=False, **options)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The wheel built from a copy of the source, and the verbose build log."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "exprdiff", source / "exprdiff",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    result = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--no-index", "--disable-pip-version-check", "-v", "-w", source / "dist",
                  source)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (source / "dist").glob("exprdiff-*.whl")
    return wheel, result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory) -> Path:
    """A folder the wheel is installed into (its ``bin/exprdiff`` command included)."""
    target = tmp_path_factory.mktemp("installed")
    result = _run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                  "--disable-pip-version-check", "--target", target, built[0])
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def _from(site: Path) -> dict[str, str]:
    """The environment of a program that imports exprdiff from ``site`` first."""
    return {**os.environ, "PYTHONPATH": str(site)}


@pytest.mark.slow
def test_the_wheel_holds_the_package_py_typed_and_the_license(built):
    """Every module, py.typed and LICENSE are in the wheel; its metadata are the project's."""
    with zipfile.ZipFile(built[0]) as wheel:
        names = set(wheel.namelist())
        info = f"exprdiff-{exprdiff.__version__}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "exprdiff").rglob("*.py")}
    assert modules <= names
    assert {"exprdiff/py.typed", f"{info}/licenses/LICENSE"} <= names
    assert not [name for name in names if name.startswith(("tests/", "docs/", "demos/"))]
    assert f"\nVersion: {exprdiff.__version__}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata and "\nLicense-File: LICENSE\n" in metadata
    assert "\nClassifier: Typing :: Typed\n" in metadata
    assert "[console_scripts]\nexprdiff = exprdiff.keep.cli:main" in entry_points


@pytest.mark.slow
def test_building_warns_of_nothing_deprecated(built):
    """setuptools accepts the license fields as they are (no SetuptoolsDeprecationWarning)."""
    log = built[1]
    assert "Building wheel for exprdiff" in log
    assert "SetuptoolsDeprecationWarning" not in log
    assert [line for line in log.splitlines() if "license" in line.lower()
            and "warn" in line.lower()] == []


@pytest.mark.slow
def test_the_exprdiff_command_is_python_m_exprdiff(installed, tmp_path):
    """The installed ``exprdiff`` command gives what ``python -m exprdiff`` gives."""
    from exprdiff import Input, Parameter, Sigmoid, save

    x, w = Input("x"), Parameter("w")
    model = tmp_path / "model.json"
    save(model, Sigmoid(w * x), {w: 2.0})
    imported = _run(sys.executable, "-c", "import exprdiff; print(exprdiff.__file__)",
                    env=_from(installed), cwd=tmp_path)
    assert Path(imported.stdout.strip()).is_relative_to(installed)
    command = installed / "bin" / "exprdiff"
    for argv, stdin in [(["--version"], None), (["show", model], None),
                        (["eval", "-", "--input", "x=[0,1]", "--grad"], model.read_text())]:
        installed_run = _run(command, *argv, env=_from(installed), cwd=tmp_path, input=stdin)
        module_run = _run(sys.executable, "-m", "exprdiff", *argv, cwd=ROOT, input=stdin)
        assert installed_run.returncode == module_run.returncode == 0, installed_run.stderr
        assert installed_run.stdout == module_run.stdout != ""
    assert _run(command, "--version", env=_from(installed)).stdout == \
        f"exprdiff {exprdiff.__version__}\n"


def _mypy_strict(site: Path, folder: Path) -> subprocess.CompletedProcess:
    """``mypy --strict`` on a copy of the user's script, seeing exprdiff only as installed."""
    script = folder / SCRIPT.name
    shutil.copy(SCRIPT, script)
    return _run(sys.executable, "-m", "mypy", "--strict", "--no-color-output",
                "--cache-dir", folder / ".mypy_cache", script, env=_from(site), cwd=folder)


@pytest.mark.slow
def test_a_users_strict_script_type_checks_against_the_installed_package(installed, tmp_path):
    """The perceptron script passes ``mypy --strict`` against the wheel, and runs."""
    result = _mypy_strict(installed, tmp_path)
    assert (result.returncode, result.stdout) == (0, "Success: no issues found in 1 source file\n")
    ran = _run(sys.executable, tmp_path / SCRIPT.name, env=_from(installed), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "0.7310585786300049 0.19661193324148185 6.403725 True", "[0.033 0.958] True",
    ]


@pytest.mark.slow
def test_the_type_check_fails_without_a_hint_or_without_py_typed(installed, tmp_path):
    """The check is not vacuous: drop optimize's return hint, or py.typed, and mypy fails."""
    site = tmp_path / "site"
    shutil.copytree(installed, site)
    training = site / "exprdiff" / "fit" / "training.py"
    text = training.read_text()
    assert text.count("\n) -> FitResult:\n") == 1
    training.write_text(text.replace("\n) -> FitResult:\n", "\n):\n"))
    result = _mypy_strict(site, tmp_path)
    assert result.returncode == 1
    assert 'error: Expression is of type "Any", not "FitResult"' in result.stdout
    (site / "exprdiff" / "py.typed").unlink()
    result = _mypy_strict(site, tmp_path)
    assert result.returncode == 1
    assert "missing library stubs or py.typed marker" in result.stdout
