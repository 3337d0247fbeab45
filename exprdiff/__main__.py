"""``python -m exprdiff``: see `exprdiff.cli`."""

from exprdiff.cli import main

raise SystemExit(main())
