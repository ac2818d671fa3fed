"""`python -m ops` runs the CLI."""

from ops.cli import main

main()
