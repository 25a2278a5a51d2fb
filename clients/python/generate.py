"""Generate the Python client from docs/openapi.yaml into build/python-client (`make
python-client-check`), as a Python team would, with one adaptation for the generator.

openapi-python-client 0.29 reads any non-empty `security` list as "credentials required",
so the reads, whose list ends in `{}` (anonymous allowed), would accept only its
`AuthenticatedClient` (its issue #1372). Dropping `security` from those operations is how
that generator is told credentials are optional: reads then take a plain `Client` too.
It also cannot send a CSV body (pricing an entry accepts JSON or CSV): the CSV form of a
request body is dropped, and the client sends JSON.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "python-client"


def main() -> int:
    document = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    for item in document["paths"].values():
        for operation in item.values():
            if {} in operation.get("security", []):
                del operation["security"]
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                content.pop("text/csv", None)
    OUT.parent.mkdir(exist_ok=True)
    schema = OUT.parent / "openapi-for-python-client.yaml"
    schema.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    command = [
        str(Path(sys.executable).parent / "openapi-python-client"),
        "generate",
        "--path",
        str(schema),
        "--output-path",
        str(OUT),
        "--config",
        str(Path(__file__).parent / "config.yaml"),
        "--overwrite",
        "--fail-on-warning",
    ]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
