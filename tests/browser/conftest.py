"""A real headless browser (the system's Chromium, driven by Playwright) against a live
server, with the network cut off: only the app's own origin answers.

Without Chromium these tests are skipped with the reason, so a developer without root can
still run the suite; CI (CI=true) installs it (.ci/run) and a missing browser fails there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import (
    ConsoleMessage,
    Error,
    Page,
    Request,
    Response,
    Route,
    sync_playwright,
)

INSTALL = "install it (Debian: apt-get install chromium) or set CHROMIUM to its path"


def chromium() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if path is None:
        message = f"no Chromium found for the browser tests: {INSTALL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@dataclass
class Visit:
    """What a page asked for and complained about while the test used it."""

    origin: str
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.external == [], "asked for something outside the app"
        assert self.failed == [], "a request of the page failed"
        assert self.errors == [], "the page reported errors"


@pytest.fixture
def browser_page(live_server: Any) -> Iterator[tuple[Page, Visit]]:
    """A page in a fresh browser whose every request outside the live server is recorded
    and refused. Function-scoped: Playwright's sync API runs an event loop in this thread,
    during which Django refuses database calls, so tests set up their records first."""
    executable = chromium()
    visit = Visit(origin=live_server.url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                # The network cut off: all but loopback (which Chromium never proxies) goes
                # to a proxy that is not there.
                "--proxy-server=http://127.0.0.1:9",
                # Chromium's sandbox needs user namespaces, which root in a container lacks.
                *(["--no-sandbox"] if os.geteuid() == 0 else []),
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def route(route: Route) -> None:
            if route.request.url.startswith(visit.origin):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(60_000)

        def on_request(request: Request) -> None:
            web = request.url.startswith(("http:", "https:", "ws:", "wss:"))
            if web and not request.url.startswith(visit.origin):
                visit.external.append(request.url)

        def on_request_failed(request: Request) -> None:
            # ERR_ABORTED is the browser cancelling a request itself, as it does with a
            # page's icon still loading when the test moves to the next page: not an answer
            # of the app. Refused external requests fail with ERR_FAILED and are kept.
            if request.failure != "net::ERR_ABORTED":
                visit.failed.append(f"failed {request.url} ({request.failure})")

        def on_response(response: Response) -> None:
            if response.status >= 400:
                visit.failed.append(f"{response.status} {response.url}")

        def on_console(message: ConsoleMessage) -> None:
            # Refused content (a Content-Security-Policy violation) is reported here too.
            if message.type == "error":
                visit.errors.append(message.text)

        def on_page_error(error: Error) -> None:
            visit.errors.append(str(error))

        page.on("request", on_request)
        page.on("requestfailed", on_request_failed)
        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        yield page, visit
        browser.close()
