"""Schemathesis against the live app, from the committed schema (`make fuzz`).

Starts the production stack (gunicorn, DEBUG off) on a throwaway database with the real data
and an editor's token, then lets schemathesis call every operation of docs/openapi.yaml,
writes included. It fails on any server error and on any answer the schema does not allow.
The seed and the number of examples are fixed, so a run is repeatable and bounded.

DATABASE_URL, when set, names the database to use (CI passes a throwaway PostgreSQL one);
otherwise a temporary SQLite file is created and removed.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = os.environ.get("FUZZ_SEED", "20250512")  # The Geneva truce's start, as good as any.
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "15")
# Revoking the run's own token would turn every later request into a 401 (schemathesis only
# warns about that); tests/test_accounts.py covers revocation.
REVOKE_TOKEN = "deleteToken"


def operation_ids(schema: Path) -> set[str]:
    import yaml  # drf-spectacular's dependency, so it is installed wherever the app is.

    paths = yaml.safe_load(schema.read_text())["paths"]
    return {
        op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before serving")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in 20 s")


def main() -> int:
    # An exclusion naming no operation is silently ignored: check it names one.
    if REVOKE_TOKEN not in operation_ids(ROOT / "docs" / "openapi.yaml"):
        raise SystemExit(f"scripts/fuzz.py: no operation {REVOKE_TOKEN} in the schema to exclude")
    workdir = Path(tempfile.mkdtemp(prefix="tradeapi-fuzz-"))
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: the TLS settings are checked by `check --deploy` instead.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        # Schemathesis sends thousands of requests a minute from one address.
        "THROTTLE_ANON": "none",
        "THROTTLE_USER": "none",
        # The data was just loaded: without this the changes feed would answer empty pages.
        "CHANGES_FEED_DELAY_SECONDS": "0",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'fuzz.sqlite3'}")
    env["STATIC_ROOT"] = str(workdir / "static")
    manage(env, "collectstatic", "--no-input", "-v0")
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_data", "-v0")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User; "
        "u, _ = User.objects.get_or_create(username='fuzz-editor'); "
        "u.groups.add(Group.objects.get(name='editors'))",
    )
    # "Generated token KEY for user fuzz-editor", as DRF's command printed it.
    token = manage(env, "drf_create_token", "fuzz-editor", "--name", "fuzz").split()[2]
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "tradeapi.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            # One worker: with two, hypothesis describing its strategies from several threads
            # at once hit a Python 3.11 `ast` race inside schemathesis (a tool error, not ours).
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v1/economies/US/", server)
        command = [
            str(BIN / "schemathesis"),
            "run",
            str(ROOT / "docs" / "openapi.yaml"),
            "--url",
            f"http://127.0.0.1:{port}",
            "--header",
            f"Authorization: Token {token}",
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,"
            "content_type_conformance,response_headers_conformance",
            "--seed",
            SEED,
            "--max-examples",
            EXAMPLES,
            # No example database: a run depends on the seed alone, not on earlier runs.
            "--generation-database",
            "none",
            # One worker: with two, hypothesis describing its strategies from several threads
            # at once hit a Python 3.11 `ast` race inside schemathesis (a tool error, not ours).
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--continue-on-failure",
            "--exclude-operation-id",
            REVOKE_TOKEN,
            "--report-dir",
            str(workdir / "report"),
            *sys.argv[1:],
        ]
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
