"""Harness cassettes: vcrpy's YAML cassette format, written from what a real CLI exchanged.

vcrpy cannot see node or Rust traffic, so these files are written here from the recording relay
(tests/harness/recorder.py) instead of by vcrpy. They keep vcrpy's layout (``interactions`` of
``request``/``response``, ``version: 1``) so ``vcr.cassette.Cassette.load`` reads them, plus one
extra top-level key, ``skvm``, describing the run (harness, CLI version, skill, script). Run
specific paths and the relay's port are replaced by fixed placeholders so a re-recording diffs
cleanly; credential headers are dropped, and writing fails if the dummy key shows up anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from skvm_shim.testing.cassettes import SECRET_HEADERS
from tests.harness.recorder import Exchange

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "cassettes"
PROXY_PLACEHOLDER = "http://127.0.0.1:8417"
"""The proxy's address as written in cassettes (each recording ran on a random port)."""
RUN_ROOT_PLACEHOLDER = "/tmp/skvm-harness-run"
NPM_PREFIX_PLACEHOLDER = "/opt/harness-npm"


def cassette_path(harness: str, scenario: str) -> Path:
    return CASSETTES / f"harness_{harness.replace('-', '_')}" / f"{scenario}.yaml"


def all_cassettes() -> list[Path]:
    return sorted(CASSETTES.glob("harness_*/*.yaml"))


@dataclass(frozen=True, slots=True)
class Interaction:
    """One recorded request (as the CLI sent it) and the response the CLI received."""

    method: str
    uri: str
    headers: dict[str, str]
    body_text: str
    status: int
    response_headers: dict[str, str]
    response_body: str

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> str:
        return urlsplit(self.uri).query

    @property
    def body(self) -> Any:
        """The parsed JSON body (None for an empty body)."""
        return json.loads(self.body_text) if self.body_text else None


@dataclass(frozen=True, slots=True)
class HarnessCassette:
    path: Path
    meta: dict[str, Any]
    interactions: tuple[Interaction, ...]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (SSE bodies, SKILL.md) as literal blocks, everything else as usual."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.startswith((" ", "\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _scrub(text: str, replacements: Iterable[tuple[str, str]]) -> str:
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def _headers(
    pairs: Iterable[tuple[str, str]], replacements: list[tuple[str, str]]
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        if name.lower() in SECRET_HEADERS:
            continue
        out.setdefault(name, []).append(_scrub(value, replacements))
    return out


def write_cassette(
    path: Path,
    exchanges: list[Exchange],
    *,
    meta: Mapping[str, Any],
    replacements: Mapping[str, str],
    secrets: Iterable[str],
    forbidden: Iterable[str] = (),
) -> None:
    """Write ``exchanges`` as a vcrpy cassette.

    Raises ValueError, writing nothing, when a secret or a ``forbidden`` string (a run-specific
    path the replacements missed) would end up in the file.
    """
    ordered = sorted(replacements.items(), key=lambda item: -len(item[0]))
    interactions = []
    for ex in exchanges:
        uri = PROXY_PLACEHOLDER + ex.target
        request = {
            "body": _scrub(ex.body.decode("utf-8"), ordered),
            "headers": _headers(ex.headers, ordered),
            "method": ex.method,
            "uri": uri,
        }
        response = {
            "body": {"string": _scrub(ex.response_body.decode("utf-8"), ordered)},
            "headers": _headers(ex.response_headers, ordered),
            "status": {"code": ex.status, "message": ex.reason},
        }
        interactions.append({"request": request, "response": response})
    document = {"interactions": interactions, "skvm": dict(meta), "version": 1}
    text = yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000_000
    )
    for secret in secrets:
        if secret and secret in text:
            raise ValueError(f"refusing to write {path.name}: it would contain a credential")
    for needle in forbidden:
        if needle and needle in text:
            raise ValueError(f"refusing to write {path.name}: {needle!r} was not replaced")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _joined(headers: Mapping[str, list[str]]) -> dict[str, str]:
    return {name.lower(): ", ".join(values) for name, values in headers.items()}


def load_cassette(path: Path) -> HarnessCassette:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    interactions = []
    for item in data["interactions"]:
        request, response = item["request"], item["response"]
        interactions.append(
            Interaction(
                method=request["method"],
                uri=request["uri"],
                headers=_joined(request["headers"]),
                body_text=request["body"] or "",
                status=int(response["status"]["code"]),
                response_headers=_joined(response["headers"]),
                response_body=response["body"]["string"] or "",
            )
        )
    return HarnessCassette(path, dict(data.get("skvm") or {}), tuple(interactions))
