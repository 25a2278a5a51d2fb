"""The OpenAPI documents, built once per deployment and served from disk.

`manage.py build_schema` (run by `make serve` after collectstatic) renders every document
`/api/<version>/schema/` can answer, in every format, into SCHEMA_BUILD_DIR with a manifest.
The schema view serves those bytes instead of generating them: generating walks every view
and serializer, about a second of CPU in each new worker process, and a deployment's workers
would each pay it on their first schema request.

A build belongs to the code it was made from. The manifest records a fingerprint of what
the documents are generated from (the project's Python sources, the settings that shape the
schema, the versions of the packages that generate it), and a process whose own fingerprint
differs ignores the build and generates the documents itself, as it would with no build: a
build left behind by an earlier deployment, or one made before editing the code, is never
served. So is a file whose bytes do not match the manifest's digest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, cast

from django.conf import settings

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# (API version, language, media type) -> (Content-Type, bytes)
Key = tuple[str | None, str, str]
Documents = dict[Key, tuple[str, bytes]]
# The packages whose code writes the documents.
GENERATORS = ("django", "djangorestframework", "drf-spectacular", "drf-standardized-errors")
# The project's own packages, whose views and serializers the documents describe.
SOURCES = ("tradeapi", "agreements")


def _source_files() -> Iterator[Path]:
    for package in SOURCES:
        yield from sorted((Path(settings.BASE_DIR) / package).rglob("*.py"))


def fingerprint() -> str:
    """What the documents are a function of, hashed."""
    digest = hashlib.sha256()
    for path in _source_files():
        digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for package in GENERATORS:
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    # Settings that reach the documents: titles, versions, servers, throttle and page sizes.
    for name in ("SPECTACULAR_SETTINGS", "REST_FRAMEWORK", "LANGUAGE_CODE"):
        digest.update(repr(getattr(settings, name, None)).encode())
    return digest.hexdigest()


def build(
    directory: Path,
    media_types: list[str],
    render: Callable[[str | None, str, str], tuple[str, bytes]],
) -> int:
    """Renders every (version, language, media type) with `render` into `directory`,
    replacing what was there only once the whole build is written. Returns the count."""
    allowed = cast(list[str], settings.REST_FRAMEWORK.get("ALLOWED_VERSIONS") or [])
    versions: list[str | None] = [*allowed] or [None]
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    # mkdtemp makes it private; the server may run as another user than the deployer.
    staging.chmod(0o755)
    try:
        entries: list[dict[str, Any]] = []
        for version in versions:
            for media_type in media_types:
                content_type, content = render(version, settings.LANGUAGE_CODE, media_type)
                name = f"{len(entries)}.document"
                (staging / name).write_bytes(content)
                entries.append(
                    {
                        "version": version,
                        "language": settings.LANGUAGE_CODE,
                        "media_type": media_type,
                        "content_type": content_type,
                        "file": name,
                        "sha256": hashlib.sha256(content).hexdigest(),
                    }
                )
        manifest = {"fingerprint": fingerprint(), "documents": entries}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(entries)


def load(directory: Path) -> Documents | None:
    """The build in `directory`, or None when there is none or it is not this code's."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.warning("Schema build in %s unreadable, generating instead: %r", directory, error)
        return None
    if manifest.get("fingerprint") != fingerprint():
        logger.warning(
            "Schema build in %s was made from other code; generating instead "
            "(run manage.py build_schema when deploying).",
            directory,
        )
        return None
    documents: Documents = {}
    try:
        for entry in manifest["documents"]:
            content = (directory / entry["file"]).read_bytes()
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                raise ValueError(f"{entry['file']} does not match its digest")
            key = (entry["version"], entry["language"], entry["media_type"])
            documents[key] = (entry["content_type"], content)
    except (OSError, KeyError, TypeError, ValueError) as error:
        logger.warning("Schema build in %s unusable, generating instead: %r", directory, error)
        return None
    return documents
