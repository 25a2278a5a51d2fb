"""What the schedule commands share: the progress bar and the summary they print."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from agreements.tariffs.imports import ImportSummary

# The texts of duties not reduced to parts are listed up to this many; the rest are counted.
LISTED = 40


def progress_bar(items: Iterable[Any], label: str) -> Iterable[Any]:
    # tqdm turns itself off when stderr is not a terminal (CI logs stay clean).
    return tqdm(items, desc=label, file=sys.stderr, disable=None, leave=False)


def write_summary(command: BaseCommand, summary: ImportSummary) -> None:
    out = command.stdout
    out.write(f"{summary.edition}:")
    out.write(f"  tariff lines: {summary.lines}")
    out.write(f"  measures:     {summary.measures}")
    out.write(f"  rate periods: {summary.rates}")
    if summary.products_created:
        out.write(f"  products:     {summary.products_created:,} national codes added")
    forms = ", ".join(f"{form} {count:,}" for form, count in sorted(summary.forms.items()))
    out.write(f"  base duties by form: {forms}")
    if summary.not_reduced:
        texts = sorted({(text, form) for _, text, form in summary.not_reduced})
        out.write(
            f"  {len(summary.not_reduced):,} duties kept as published, without ad valorem and "
            f"specific parts ({len(texts):,} texts; the rate 0.00 of their periods is not "
            "the duty):"
        )
        for text, form in texts[:LISTED]:
            out.write(f"    [{form}] {text}")
        if len(texts) > LISTED:
            out.write(f"    ... and {len(texts) - LISTED:,} more texts")
    unparsed = summary.unparsed
    out.write(f"  unparsed duties: {len(unparsed):,}")
    for code, text, _ in unparsed[:LISTED]:
        out.write(f"    {code}: {text}")
    if summary.changed:
        out.write(command.style.SUCCESS(f"  {summary.edition} loaded."))
    else:
        out.write(command.style.SUCCESS(f"  Nothing changed: {summary.edition} was up to date."))
