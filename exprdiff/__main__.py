"""``python -m exprdiff``: see `exprdiff.keep.cli`."""

from exprdiff.keep.cli import main

raise SystemExit(main())
