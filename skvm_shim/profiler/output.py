"""Where a profile and its raw results go (SkVM's layout: <harness>/<model>/latest.json)."""

from __future__ import annotations

import os
from pathlib import Path

from compiler import TCP

PROFILE_NAME = "latest.json"
RAW_NAME = "raw-results.jsonl"


def safe_model(model: str) -> str:
    """SkVM's folder spelling of a model id (``/`` -> ``--``, ``:`` -> ``_``)."""
    return model.replace("/", "--").replace(":", "_")


def default_out(root: Path, harness: str, model: str) -> Path:
    return root / harness / safe_model(model) / PROFILE_NAME


def raw_path(out: Path) -> Path:
    """The raw results next to the profile: ``raw-results.jsonl`` beside ``latest.json``,
    ``<stem>.raw-results.jsonl`` beside any other file name."""
    if out.name == PROFILE_NAME:
        return out.with_name(RAW_NAME)
    return out.with_name(f"{out.stem}.{RAW_NAME}")


def write_profile(tcp: TCP, out: Path) -> None:
    """Write atomically (a reader never sees half a profile)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(tcp.to_skvm_json() + "\n", encoding="utf-8")
    os.replace(tmp, out)
