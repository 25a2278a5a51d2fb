"""`make serve`'s gunicorn: X-Forwarded-Proto is believed only behind a declared TLS proxy."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = "python:tradeapi.gunicorn_conf"


def test_make_serve_runs_gunicorn_with_the_project_config() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert f"--config {CONFIG}" in recipe
    # A command-line value would override the config's decision.
    assert "forwarded-allow-ips" not in recipe


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(**env: str) -> Iterator[str]:
    port = free_port()
    base = {k: v for k, v in os.environ.items() if k not in {"BEHIND_TLS_PROXY", "DEBUG"}}
    command = [str(GUNICORN), "tradeapi.wsgi", "--config", CONFIG, "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--workers", "1", "--log-level", "warning"],
        cwd=ROOT,
        env={**base, "DEBUG": "1", "THROTTLE_ANON": "none", **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # Up, whatever it answered.
            except OSError:
                if server.poll() is not None:
                    raise AssertionError("gunicorn exited") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def scheme_seen(url: str) -> str:
    """The scheme of the API root's links, which Django builds from what it thinks the
    request came over."""
    request = urllib.request.Request(f"{url}/api/v1/", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=10) as response:
        links = json.load(response)
    match = re.match(r"(\w+)://", links["economies"])
    assert match is not None
    return match[1]


@pytest.mark.parametrize(("behind", "expected"), [("0", "http"), ("1", "https")])
def test_forwarded_proto_is_trusted_only_behind_a_tls_proxy(behind: str, expected: str) -> None:
    with gunicorn(BEHIND_TLS_PROXY=behind) as url:
        assert scheme_seen(url) == expected
