"""Thin entry point: `python worker.py` runs the queue worker (config from the environment)."""

import sys

from einvoice.cli import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
