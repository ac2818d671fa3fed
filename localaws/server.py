"""The local AWS server: moto's server with the adapter applied in the same process.

Run: `python -m localaws.server --host localhost --port 4566`. For tests, `threaded_server()`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from localaws import adapter, runner

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer


def threaded_server(*, port: int = 0, host: str = runner.HOST) -> ThreadedMotoServer:
    """Start moto's ThreadedMotoServer in this process with the adapter applied (port 0 = free)."""
    adapter.apply()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def main(argv: list[str] | None = None) -> None:
    """Apply the adapter, then hand over to moto's own server entry point."""
    adapter.apply()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
