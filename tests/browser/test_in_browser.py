"""The HTML pages in a real browser with the network cut off: the API docs and the front
page render from the app alone, and the admin pages staff use render styled and without
errors. The admin pages are saved as screenshots in build/screenshots/ (`make screenshots`:
in docs/screenshots/, committed; README, "The admin") so a person can see what staff see."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from django.utils import timezone

from agreements.models import Measure, Rate
from agreements.models.choices import RateStatus
from agreements.seeding import seed_all
from tests.browser.conftest import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Every run leaves the pictures in build/screenshots/ (ignored by git: the PNG bytes differ
# each time, and a test run should leave the checkout as it found it); `make screenshots`
# points SCREENSHOTS at docs/screenshots/ to retake the committed ones.
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "staff-password-for-the-browser"
Page = tuple[Any, Visit]


def test_redoc_renders_from_the_app_alone(browser_page: Page) -> None:
    page, visit = browser_page
    response = page.goto(f"{visit.origin}/api/v1/redoc/")
    assert response.status == 200
    page.locator("h1", has_text="TradeAPI").wait_for()
    page.locator("[data-item-id]").nth(40).wait_for(state="attached")
    assert page.locator("[data-item-id]").count() > 40  # tags and their operations
    page.wait_for_load_state("networkidle")
    visit.assert_clean()
    # Its fonts are the system's: none was fetched, and the theme names no web font.
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "Montserrat" not in family


def test_swagger_ui_renders_from_the_app_alone(browser_page: Page) -> None:
    page, visit = browser_page
    response = page.goto(f"{visit.origin}/api/v1/docs/")
    assert response.status == 200
    page.locator(".swagger-ui .info .title", has_text="TradeAPI").wait_for()
    page.locator(".opblock").nth(40).wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    visit.assert_clean()


def test_the_front_page_renders_styled(browser_page: Page) -> None:
    page, visit = browser_page
    assert page.goto(f"{visit.origin}/").status == 200
    links = page.locator("main a")
    assert links.count() == 5
    color = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
    assert color == "rgb(38, 75, 93)"  # tradeapi/static/tradeapi/home.css
    page.wait_for_load_state("networkidle")
    visit.assert_clean()


@pytest.fixture
def staff(live_server: Any) -> dict[str, Any]:
    """The real data (a transactional test starts from an empty database), a staff login,
    and what the screenshots show: the measure with the most rate periods, and a duty
    question that some measure answers."""
    seed_all()
    User.objects.create_superuser("staff", password=PASSWORD)
    measure = (
        Measure.objects.filter(origin__isnull=False)
        .annotate(periods=Count("rates"))
        .order_by("-periods", "pk")
        .first()
    )
    assert measure is not None
    # The record's timestamps show on its page; fixed, the screenshot is the same each run.
    fixed = dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC)
    Measure.objects.filter(pk=measure.pk).update(created_at=fixed, updated_at=fixed)
    rate = (
        Rate.objects.filter(
            status=RateStatus.IN_FORCE,
            measure__origin__isnull=False,
            measure__origin__kind="country",
            measure__products__isnull=False,
        )
        .select_related("measure")
        .order_by("pk")
        .first()
    )
    assert rate is not None
    product = rate.measure.products.order_by("code").first()
    assert product is not None
    return {
        "measure": measure.pk,
        "periods": measure.periods,  # type: ignore[attr-defined]
        "question": {
            "importer": rate.measure.importer_id,
            "origin": rate.measure.origin_id,
            "hs": product.code,
            "date": rate.valid_from.isoformat(),
        },
        "today": timezone.localdate(),
    }


def assert_styled(page: Any) -> None:
    """The admin's stylesheet applied: its header has a colour (unstyled, it has none)."""
    header = page.evaluate("getComputedStyle(document.getElementById('header')).backgroundColor")
    assert header not in ("rgba(0, 0, 0, 0)", "transparent"), "the admin CSS did not apply"
    assert page.evaluate("document.styleSheets.length") >= 2


@pytest.fixture
def screenshots() -> Path:
    """Where the pictures go: SCREENSHOTS (relative to the project) if set, else
    build/screenshots/."""
    folder = ROOT / os.environ.get("SCREENSHOTS", "build/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_staff_pages_render_styled_and_are_screenshotted(
    staff: dict[str, Any], browser_page: Page, screenshots: Path
) -> None:
    page, visit = browser_page
    page.goto(f"{visit.origin}/admin/login/")
    assert_styled(page)
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.locator("#duty-calculator").wait_for()

    assert page.goto(f"{visit.origin}/admin/agreements/agreement/").status == 200
    assert_styled(page)
    assert page.locator("#result_list tbody tr").count() > 0
    page.screenshot(path=str(screenshots / "admin-agreements.png"))

    url = f"{visit.origin}/admin/agreements/measure/{staff['measure']}/change/"
    assert page.goto(url).status == 200
    assert_styled(page)
    rates = page.locator(".inline-group .form-row.has_original")
    assert rates.count() == staff["periods"]
    assert page.locator("text=Until (not including)").count() >= 1
    page.screenshot(path=str(screenshots / "admin-measure.png"), full_page=True)

    # The calculator as staff reach it: from the admin's home, then the form.
    page.goto(f"{visit.origin}/admin/")
    page.click("#duty-calculator a")
    for name, value in staff["question"].items():
        page.fill(f"#id_{name}", value)
    page.click("#calculator input[type=submit]")
    page.locator("#answer").wait_for()
    assert_styled(page)
    assert page.locator("#answer tbody tr").count() >= 1
    assert "No measure applies" not in page.locator("#answer").inner_text()
    assert "= total" in page.locator("#total").inner_text()
    page.screenshot(path=str(screenshots / "admin-calculator.png"), full_page=True)

    visit.assert_clean()
