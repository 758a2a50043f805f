"""Extract the SSO part of WorkOS's published OpenAPI spec into ``sso_spec.json``.

The JSON keeps what a client must agree with (property names, types, required lists, enums,
nullability, formats, constants, parameter styles, deprecation) and drops the prose
(descriptions, examples), so a new spec version shows up as a readable diff of structure only.

Usage::

    python tests/contract/extract.py                  # npm pack the pinned package, rewrite JSON
    python tests/contract/extract.py --spec FILE.yaml # use a YAML already on disk
    python tests/contract/extract.py --check          # fail (exit 1, with a diff) if JSON differs

Needs PyYAML, and npm unless ``--spec`` is given.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Optional

PACKAGE = "@workos/openapi-spec"
VERSION = "0.1.0"
SPEC_FILE = "open-api-spec.yaml"
OUTPUT = Path(__file__).resolve().parent / "sso_spec.json"

SCHEMAS = (
    "Profile",
    "Connection",
    "ConnectionList",
    "SsoTokenResponse",
    "SsoLogoutAuthorizeResponse",
    "SlimRole",
)
QUERY_PARAMETERS = (("get", "/sso/authorize"), ("get", "/connections"))
REQUEST_BODIES = (("post", "/sso/token"), ("post", "/sso/logout/authorize"))

#: Keywords that only document: dropping them leaves every constraint in place.
_PROSE = frozenset({"description", "example", "examples", "summary", "title", "externalDocs"})


def fetch_spec(workdir: Path) -> Path:
    """``npm pack`` the pinned spec package into ``workdir`` and return the YAML's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch the spec; or pass --spec PATH.")
    subprocess.run(
        [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", str(workdir)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = workdir.glob("*.tgz")
    with tarfile.open(tarball) as archive:
        member = archive.getmember(f"package/{SPEC_FILE}")
        source = archive.extractfile(member)
        assert source is not None
        target = workdir / SPEC_FILE
        target.write_bytes(source.read())
    return target


def _resolve(node: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline every local ``$ref`` and drop prose keywords, so the result stands alone."""
    if isinstance(node, list):
        return [_resolve(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are expected, not {ref}")
        if ref in seen:
            raise ValueError(f"recursive $ref {ref} cannot be inlined")
        target: Any = root
        for part in ref[len("#/") :].split("/"):
            target = target[part]
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return _resolve({**target, **siblings}, root, (*seen, ref))
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _PROSE:
            continue
        if key == "properties":
            # Keys here are field names, not keywords: a field called "description" stays.
            result[key] = {name: _resolve(sub, root, seen) for name, sub in value.items()}
        elif key == "required" and isinstance(value, list):
            # The spec lists some names twice (ConnectionList's list_metadata); JSON Schema
            # wants each name once, and the duplicate carries no meaning.
            result[key] = list(dict.fromkeys(value))
        else:
            result[key] = _resolve(value, root, seen)
    return result


def extract(spec: dict[str, Any], *, sha256: str) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    paths = spec["paths"]
    query_parameters = {}
    for method, path in QUERY_PARAMETERS:
        parameters = [
            _resolve(parameter, spec)
            for parameter in paths[path][method].get("parameters", [])
            if parameter.get("in") == "query"
        ]
        query_parameters[f"{method.upper()} {path}"] = sorted(
            parameters, key=lambda parameter: parameter["name"]
        )
    request_bodies = {}
    for method, path in REQUEST_BODIES:
        body = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        request_bodies[f"{method.upper()} {path}"] = _resolve(body, spec)
    return {
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "file": SPEC_FILE,
            "sha256": sha256,
            "openapi": spec.get("openapi"),
        },
        "schemas": {name: _resolve(schemas[name], spec) for name in SCHEMAS},
        "query_parameters": query_parameters,
        "request_bodies": request_bodies,
    }


def render(spec_path: Path) -> str:
    import yaml  # a test-only dependency, needed only to re-extract

    raw = spec_path.read_bytes()
    spec = yaml.safe_load(raw)
    extracted = extract(spec, sha256=hashlib.sha256(raw).hexdigest())
    return json.dumps(extracted, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, help=f"a local {SPEC_FILE} instead of npm pack")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="compare with --output instead of writing it"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        spec_path = args.spec or fetch_spec(Path(workdir))
        text = render(spec_path)
    if not args.check:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
        return 0
    committed = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if committed == text:
        print(f"{args.output.name} matches {PACKAGE}@{VERSION}")
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"committed {args.output.name}",
            tofile=f"extracted from {PACKAGE}@{VERSION}",
        )
    )
    print(f"{args.output.name} differs from the spec: re-run extract.py and review the diff.")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
