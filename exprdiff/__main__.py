"""``python -m exprdiff``, the same program as the ``exprdiff`` command: see `exprdiff.keep.cli`."""

from exprdiff.keep.cli import main

raise SystemExit(main(prog="python -m exprdiff"))
