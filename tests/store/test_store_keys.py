"""Key helpers: content hash, compound keys that sort and prefix-scan like tuples, log keys."""

from __future__ import annotations

import hashlib
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skvm_shim.store import content_hash, join_key, key_prefix, log_key_time_ns, split_key
from skvm_shim.store.keys import LogKeyClock

# Parts with the characters that matter for ordering and escaping over-represented.
_part = st.text(alphabet=st.sampled_from(["\x00", "\x01", "\x02", "a", "b", "é", "/", ":"]))
_any_part = st.one_of(_part, st.text())
_parts = st.lists(_any_part, min_size=1, max_size=4).map(tuple)


def test_content_hash_is_blake2b_16_hex() -> None:
    assert content_hash(b"") == "cae66941d9efbd404e4d88758ea67670"
    assert content_hash(b"skill") == hashlib.blake2b(b"skill", digest_size=16).hexdigest()
    assert len(content_hash("x")) == 32


def test_content_hash_of_text_is_hash_of_utf8() -> None:
    assert content_hash("héllo") == content_hash("héllo".encode())
    assert content_hash("a") != content_hash("b")


def test_content_hash_accepts_lone_surrogates() -> None:
    # Text decoded from JSON can hold them; it must still hash, and deterministically.
    assert content_hash("\ud800x") == content_hash("\ud800x")
    assert content_hash("\ud800x") != content_hash("x")


@given(_parts)
def test_split_inverts_join(parts: tuple[str, ...]) -> None:
    assert split_key(join_key(*parts)) == parts


@given(_parts, _parts)
def test_joined_keys_sort_like_tuples(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    ka, kb = join_key(*a).encode(), join_key(*b).encode()  # LMDB compares UTF-8 bytes
    assert (ka < kb) == (a < b)
    assert (ka == kb) == (a == b)


@given(_parts, _parts)
def test_key_prefix_matches_exactly_the_extensions(
    prefix: tuple[str, ...], parts: tuple[str, ...]
) -> None:
    extends = len(parts) > len(prefix) and parts[: len(prefix)] == prefix
    assert join_key(*parts).startswith(key_prefix(*prefix)) == extends


def test_plain_prefix_would_overmatch_but_key_prefix_does_not() -> None:
    assert join_key("ab", "x").startswith(join_key("a"))
    assert not join_key("ab", "x").startswith(key_prefix("a"))
    assert join_key("a", "x").startswith(key_prefix("a"))


def test_separator_and_escape_characters_round_trip() -> None:
    parts = ("a\x00b", "\x01", "\x01\x01\x00", "")
    key = join_key(*parts)
    assert split_key(key) == parts
    assert key.count("\x00") == len(parts) - 1


def test_join_key_rejects_nothing_and_non_str() -> None:
    with pytest.raises(ValueError):
        join_key()
    with pytest.raises(TypeError):
        join_key("a", 3)  # type: ignore[arg-type]


def test_split_key_rejects_malformed_escape() -> None:
    with pytest.raises(ValueError):
        split_key("a\x01z")


def test_log_keys_increase_and_are_unique_across_threads() -> None:
    clock = LogKeyClock()
    keys: list[str] = []
    lock = threading.Lock()

    def make() -> None:
        mine = [clock.next_key() for _ in range(2000)]
        assert mine == sorted(mine)
        with lock:
            keys.extend(mine)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 8000


def test_log_keys_survive_a_clock_that_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = LogKeyClock()
    times = iter([5_000, 4_000, 4_000, 6_000])
    monkeypatch.setattr("skvm_shim.store.keys.time.time_ns", lambda: next(times))
    made = [clock.next_key() for _ in range(4)]
    assert made == sorted(made)
    assert [log_key_time_ns(k) for k in made] == [5_000, 5_001, 5_002, 6_000]


def test_log_key_time_of_keys_under_a_compound_prefix() -> None:
    key = join_key("skill", "model", LogKeyClock().next_key())
    assert abs(log_key_time_ns(key) - __import__("time").time_ns()) < 60 * 10**9
    with pytest.raises(ValueError):
        log_key_time_ns("not-a-log-key")
