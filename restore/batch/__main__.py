"""``python -m restore.batch IN OUT [options]``: the same as ``restore fix-corpus``."""

import sys

from restore.cli import main

if __name__ == "__main__":
    sys.exit(main(["fix-corpus", *sys.argv[1:]]))
