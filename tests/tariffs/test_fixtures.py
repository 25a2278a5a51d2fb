"""The committed schedules are the upstream files, byte for byte (fixtures/PROVENANCE.md)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

# The blob ids the shared data's SOURCES.md lists for the upstream files.
BLOB_IDS = {
    "us/hts_2025_basic_edition.csv.gz": "b89a28ca864714e87fdb1801f35c417f36ac9b9c",
    "us/hts_2026_basic_edition.csv.gz": "f5e29f485f41cb285a625b59dc7ba5a9fd2a79f9",
    "uk/global-uk-tariff.csv.gz": "8aa7ba57b9dc4096da49c67a009b2f5a4164d07c",
    "uk/LICENSE": "59ff97f4c30e4f0b0d33482661e20e9f95a56a13",
}


def git_blob_id(data: bytes) -> str:
    """What `git hash-object` prints: the sha1 of a blob header and the bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def test_git_blob_id_is_gits_algorithm() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.mark.parametrize(("name", "blob_id"), sorted(BLOB_IDS.items()))
def test_fixture_is_the_upstream_file(name: str, blob_id: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    data = gzip.decompress(raw) if name.endswith(".gz") else raw
    assert git_blob_id(data) == blob_id


@pytest.mark.parametrize("name", sorted(n for n in BLOB_IDS if n.endswith(".gz")))
def test_compressed_without_name_or_time(name: str) -> None:
    # gzip -n: no file name flag, zero mtime, so recompressing gives the same bytes.
    header = (FIXTURES / name).read_bytes()[:10]
    assert header[3] & 0x08 == 0
    assert header[4:8] == b"\0\0\0\0"


def test_provenance_names_every_fixture_and_its_blob() -> None:
    provenance = (FIXTURES / "PROVENANCE.md").read_text(encoding="utf-8")
    for name, blob_id in BLOB_IDS.items():
        assert name.removeprefix("us/").removeprefix("uk/") in provenance
        assert blob_id in provenance
    assert "public domain" in provenance.lower()
