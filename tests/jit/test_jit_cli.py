"""``skvm-shim jit list|show|reset|disable|enable`` on a store with learned templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from skvm_shim.cli import main
from skvm_shim.jit.config import JitConfig
from skvm_shim.jit.records import OPTOUTS, TEMPLATES
from skvm_shim.jit.repository import Repository, TemplateKey
from skvm_shim.jit.state import on_hit
from skvm_shim.store import Store
from tests.jit.tracekit import bash, trace

KEY = TemplateKey(("a" * 32,), "pi", "schema1")


def _trace(name: str, rows: int, session: str) -> object:
    return trace(
        f"Profile the file `{name}` now.",
        [([bash(f'wc -l "{name}"')], [f"{rows} {name}\n"])],
        f"{name} has {rows} rows.",
        session,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    store = Store.open(home / "store")
    repo = Repository(store, JitConfig())
    repo.prepare()
    for i, (name, rows) in enumerate([("a b.csv", 10), ("c.csv", 20)]):
        tid, _ = repo.learn(KEY, _trace(name, rows, str(i)), loaded=["a" * 32], names=["csv-stats"])  # type: ignore[arg-type]
    for i in range(3):
        repo.modify(KEY, tid, lambda r, i=i: on_hit(r, promote_after=3, session=f"h{i}"))
    store.close()
    return home


def cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--home", str(home), "jit", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_list_shows_state_counts_and_slots(home: Path) -> None:
    out = cli(home, "list")
    assert "promoted" in out
    assert "csv-stats" in out
    assert "s0,s1" in out
    [row] = json.loads(cli(home, "list", "--json"))["templates"]
    assert (row["state"], row["hits"], row["streak"], row["sessions"]) == ("promoted", 3, 3, 2)
    assert row["slots"] == ["s0", "s1"]
    assert row["final_replayable"] is True


def test_show_renders_placeholders_and_slot_sources(home: Path) -> None:
    [row] = json.loads(cli(home, "list", "--json"))["templates"]
    out = cli(home, "show", row["id"][:6])
    assert 'bash {"command": "wc -l {{s0}}"}' in out
    assert "final: {{s0}} has {{s1}} rows." in out
    assert "applies to tasks: Profile the file `{{s0}}` now." in out
    # Each slot: the token it binds to in the first trace, then how it is found.
    assert 's0 <- "a b.csv" in the task: Profile the file `⟦a b.csv⟧` now.' in out
    assert "string; from task: 'file `' + <string> then '`'" in out
    assert 's1 <- "10" in the result of step 0.0: ⟦10⟧ a b.csv' in out
    assert "number; from result of step 0.0" in out
    assert "promoted after 3 exact sessions" in out
    [detail] = json.loads(cli(home, "show", row["id"], "--json"))
    slots = detail["promoted_spec"]["slots"]
    assert slots[0]["examples"] == ["c.csv", "a b.csv"]
    assert slots[0]["binds"] == {
        "value": "a b.csv",
        "in": "the task",
        "start": 18,
        "end": 25,
        "context": "Profile the file `⟦a b.csv⟧` now.",
    }
    assert detail["promoted_spec"]["task"] == "Profile the file `{{s0}}` now."


def test_show_unknown_id_fails(home: Path) -> None:
    result = CliRunner().invoke(main, ["--home", str(home), "jit", "show", "zzzz"])
    assert result.exit_code != 0
    assert "no template" in result.output


def test_reset_by_skill_name_and_by_id(home: Path) -> None:
    result = CliRunner().invoke(main, ["--home", str(home), "jit", "reset"])
    assert result.exit_code != 0, "reset needs a target"
    assert "reset 0 template(s)" in cli(home, "reset", "--skill", "other-skill")
    assert "reset 1 template(s)" in cli(home, "reset", "--skill", "csv-stats")
    with Store.open(home / "store") as store:
        assert list(store.scan(TEMPLATES)) == []


def test_disable_and_enable(home: Path) -> None:
    assert "disabled name:csv-stats" in cli(home, "disable", "csv-stats")
    assert "Disabled: name:csv-stats" in cli(home, "list")
    with Store.open(home / "store") as store:
        assert [k for k, _ in store.scan(OPTOUTS)] == ["name:csv-stats"]
    assert "enabled csv-stats" in cli(home, "enable", "csv-stats")
    assert "was not disabled" in cli(home, "enable", "csv-stats")
