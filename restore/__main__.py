"""``python -m restore``: the command line (see :mod:`restore.cli`)."""

from restore.cli import main

raise SystemExit(main())
