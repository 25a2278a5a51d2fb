"""A short script written against the generated Python client: if an operation, parameter
or field it uses disappears from docs/openapi.yaml, `make python-client-check` (mypy
--strict over the client and this file) fails, and so does CI."""

from __future__ import annotations

import datetime as dt
import os

from tradeapi_client import AuthenticatedClient, Client
from tradeapi_client.api.agreements import list_agreements
from tradeapi_client.api.rate_engine import get_effective_rate
from tradeapi_client.api.sources import create_source
from tradeapi_client.models import (
    Agreement,
    EffectiveRate,
    GetEffectiveRateValidationError,
    PaginatedAgreementList,
    Source,
    SourceRequest,
)
from tradeapi_client.types import UNSET

BASE_URL = os.environ.get("TRADEAPI_URL", "http://127.0.0.1:8000")


def agreements_in_force(client: Client, parties: list[str], on: dt.date) -> list[Agreement]:
    page = list_agreements.sync(client=client, party=parties, active_on=on, as_of=on)
    if not isinstance(page, PaginatedAgreementList):
        raise RuntimeError(f"listAgreements answered {page!r}")
    return page.results


def describe(agreement: Agreement) -> str:
    expiry = agreement.expires_on.isoformat() if agreement.expires_on else "no expiry"
    parties = "-".join(agreement.parties)
    return f"{agreement.title} ({parties}): {agreement.status.value}, to {expiry}"


def duty(client: Client, importer: str, origin: str, hs: str, on: dt.date) -> str:
    answer = get_effective_rate.sync(
        client=client, importer=importer, origin=origin, hs=hs, date=on
    )
    if isinstance(answer, GetEffectiveRateValidationError):
        return "; ".join(f"{error.attr}: {error.detail}" for error in answer.errors)
    if not isinstance(answer, EffectiveRate):
        raise RuntimeError(f"getEffectiveRate answered {answer!r}")
    lines = [
        f"{c.instrument} ({c.legal_basis}, {c.kind}): {c.rate}% adds {c.applied_rate}%"
        for c in answer.components
    ]
    total = answer.total_rate if answer.total_rate is not None else "unknown (no base rate)"
    return "\n".join([*lines, f"total {total}%"])


def cite(editor: AuthenticatedClient, title: str, url: str) -> Source:
    body = SourceRequest(title=title, url=url, publisher="Example", published_on=UNSET)
    created = create_source.sync(client=editor, body=body)
    if not isinstance(created, Source):
        raise RuntimeError(f"createSource answered {created!r}")
    return created


def main() -> None:
    client = Client(base_url=BASE_URL)  # Reading needs no credentials.
    for agreement in agreements_in_force(client, ["US", "CN"], dt.date(2025, 8, 1)):
        print(describe(agreement))
    print(duty(client, "US", "CN", "950300", dt.date(2025, 4, 10)))
    token = os.environ.get("TRADEAPI_TOKEN")
    if token:  # Writing needs an editor's token, sent as `Authorization: Token <key>`.
        editor = AuthenticatedClient(base_url=BASE_URL, token=token, prefix="Token")
        print(cite(editor, "Example notice", "https://example.org/notice").id)


if __name__ == "__main__":
    main()
