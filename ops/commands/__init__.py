"""Click wiring of the `ops` commands, one module per concern (registered in `ops.cli.COMMANDS`).

These modules import only click and `ops.options` at load time; the AWS logic modules they call are
imported inside the command functions so that `ops --help` stays fast.
"""
