"""Database TLS as the stacks configure it: verify-full with the CA bundle named by PGSSLROOTCERT.

A PostgreSQL of its own, with TLS and a certificate for `localhost` from a throwaway CA, shows that
the backend's connection URL (POSTGRES_SSLMODE=verify-full) refuses a server whose certificate
another CA signed or whose name does not match, where `require` (the old setting) connects anyway.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from backend_testenv import BACKEND, free_port

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
OPENSSL = shutil.which("openssl")


def _pg_bin(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found (scripts/services.sh installs PostgreSQL)")
    return found


def _as_postgres(*command: str) -> None:
    """initdb refuses root: run the server's tools as the postgres user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)


def _openssl(*args: str, cwd: Path) -> None:
    assert OPENSSL is not None, "openssl is needed to make the test certificates"
    subprocess.run([OPENSSL, *args], check=True, capture_output=True, cwd=cwd, timeout=60)


def _ca(directory: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem",
             cwd=directory)  # fmt: skip


def _server_certificate(directory: Path) -> None:
    (directory / "san.cnf").write_text("subjectAltName=DNS:localhost\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "server.key", "-out", "server.csr", cwd=directory)  # fmt: skip
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.crt",
             cwd=directory)  # fmt: skip


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[int, Path]]:
    """(port, directory with ca.pem and other.pem) of a TLS-only PostgreSQL on loopback."""
    directory = Path(tempfile.mkdtemp(prefix="ohmycoins-tls-", dir="/tmp"))
    _ca(directory, "ca")
    _ca(directory, "other")
    _server_certificate(directory)
    data = directory / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
        for path in directory.rglob("*"):
            shutil.chown(path, "postgres")
    (directory / "server.key").chmod(0o600)
    port = free_port()
    _as_postgres(_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {port}\n"
            f"unix_socket_directories = '{data}'\nssl = on\n"
            f"ssl_cert_file = '{directory / 'server.crt'}'\n"
            f"ssl_key_file = '{directory / 'server.key'}'\n"
        )
    (data / "pg_hba.conf").write_text("hostssl all all 127.0.0.1/32 trust\n")
    _as_postgres(_pg_bin("pg_ctl"), "start", "-D", str(data), "-w", "-t", "60", "-l",
                 str(directory / "log"))  # fmt: skip
    try:
        yield port, directory
    finally:
        _as_postgres(_pg_bin("pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w")
        shutil.rmtree(directory, ignore_errors=True)


def _connect(port: int, *, host: str, sslmode: str, root_cert: Path) -> bool:
    """Connect with the backend's own URL; True when the session is encrypted."""
    script = (
        "from sqlalchemy import create_engine, text\n"
        "from app.core.config import Settings\n"
        f"s = Settings(POSTGRES_SERVER={host!r}, POSTGRES_PORT={port}, POSTGRES_DB='postgres',"
        f" POSTGRES_USER='postgres', POSTGRES_SSLMODE={sslmode!r}, ENVIRONMENT='test')\n"
        "with create_engine(s.SQLALCHEMY_DATABASE_URI).connect() as c:\n"
        "    print(c.execute(text('select ssl from pg_stat_ssl where pid = pg_backend_pid()'))"
        ".scalar())\n"
    )
    # A fresh process: libpq reads PGSSLROOTCERT from the environment, as in the container.
    env = {**os.environ, "PGSSLROOTCERT": str(root_cert), "PYTHONPATH": str(BACKEND)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if done.returncode != 0:
        raise ConnectionError(done.stderr.strip())
    return done.stdout.strip() == "True"


def test_verify_full_connects_to_the_server_its_ca_signed(tls_server: tuple[int, Path]) -> None:
    port, certs = tls_server
    assert _connect(port, host="localhost", sslmode="verify-full", root_cert=certs / "ca.pem")


def test_verify_full_refuses_another_ca_and_another_name(tls_server: tuple[int, Path]) -> None:
    port, certs = tls_server
    with pytest.raises(ConnectionError, match="certificate verify failed"):
        _connect(port, host="localhost", sslmode="verify-full", root_cert=certs / "other.pem")
    # libpq reports the name mismatch itself or through OpenSSL's verification, by version.
    with pytest.raises(ConnectionError, match="does not match host name|certificate verify failed"):
        _connect(port, host="127.0.0.1", sslmode="verify-full", root_cert=certs / "ca.pem")
    # What `require` did before, with no CA file in the image: encrypted, to whoever answered.
    assert _connect(port, host="127.0.0.1", sslmode="require", root_cert=certs / "absent.pem")


def _rotation_login(port: int, *, host: str, root_cert: Path) -> bool:
    """The database rotation function's own connection (pg8000, TLS verified); True if encrypted."""
    from stacks.db_rotation.runtime import handler

    secret = {"username": "postgres", "password": "unused-trust-auth", "host": host,
              "port": port, "dbname": "postgres"}  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OHMYCOINS_DB_CA_FILE", str(root_cert))
        with handler.pg8000_connection(secret) as db:
            rows = db.run("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
    return bool(rows and rows[0][0] is True)


def test_the_rotation_function_verifies_the_server_and_its_name(
    tls_server: tuple[int, Path],
) -> None:
    import ssl

    port, certs = tls_server
    assert _rotation_login(port, host="localhost", root_cert=certs / "ca.pem")
    with pytest.raises(ssl.SSLCertVerificationError):
        _rotation_login(port, host="localhost", root_cert=certs / "other.pem")
    with pytest.raises(ssl.SSLCertVerificationError):
        _rotation_login(port, host="127.0.0.1", root_cert=certs / "ca.pem")
