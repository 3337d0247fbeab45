"""The version of exprdiff: written here only (pyproject.toml reads it when building)."""

__version__ = "0.2.0.dev0"
