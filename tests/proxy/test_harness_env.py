"""The harness snippets (``--print-env`` and the docs) are valid configs of the data they render."""

from __future__ import annotations

import json
import tomllib

from hypothesis import given
from hypothesis import strategies as st

from skvm_shim.proxy import harness_env

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


@given(_JSON)
def test_the_compact_json_layout_is_the_same_json(data: object) -> None:
    assert json.loads(harness_env._json(data)) == data


def test_small_containers_stay_on_one_line_and_the_top_level_does_not() -> None:
    text = harness_env._json({"a": {"b": [1, 2]}, "long": {"k": "x" * 80}})
    assert text.splitlines() == [
        "{",
        '  "a": {"b": [1, 2]},',
        '  "long": {',
        f'    "k": "{"x" * 80}"',
        "  }",
        "}",
    ]


def test_every_snippet_body_parses_in_its_language_and_points_at_the_address() -> None:
    base = "http://10.0.0.7:9999"
    for token in (False, True):
        for snippet in harness_env.snippets(base + "/", token=token):
            if snippet.lang == "json":
                json.loads(snippet.body)
            elif snippet.lang == "toml":
                tomllib.loads(snippet.body)
            else:
                assert snippet.lang == "bash"
                assert all(ln.startswith(("export ", "# ")) for ln in snippet.body.splitlines()), (
                    snippet.body
                )
            assert base in snippet.body
            assert "//h/" not in snippet.body
            assert f"{base}//" not in snippet.body
            assert ("X-Skvm-Proxy-Token" in snippet.body) is token
            assert snippet.render().endswith(snippet.body)
            assert snippet.render().startswith("# ")
