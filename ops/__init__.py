"""The `ops` CLI: day-to-day operations of an OhMyCoins environment (see `ops --help`)."""
