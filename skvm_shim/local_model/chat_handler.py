"""An OpenAI-faithful tool-calling chat handler for llama-cpp-python (runs in the server process).

llama-cpp-python's ``chatml-function-calling`` handler cannot serve agent traffic as shipped: a
request that omits ``tool_choice`` (what every harness sends) is answered as if it had no tools,
``tool_choice="auto"`` with ``stream=True`` returns an empty 200 (the handler raises "Automatic
streaming tool choice is not supported" after the headers went out), ``"required"`` fails an
assertion, tool results are dropped from the prompt, and its stream chunks repeat the call's id and
name in every delta (clients that concatenate them, as the OpenAI spec allows, get
``read_fileread_file...``). This handler keeps the same prompt format and grammar-constrained
decoding and fixes those:

1. choose: greedy, grammar-limited to ``functions.<name>:`` or ``message:`` (``required`` drops
   ``message:``); a forced ``tool_choice`` skips this step;
2. answer: the arguments under a grammar built from the tool's JSON schema, or free text, streamed
   token by token when asked.

One tool call per turn (the stock loop for several calls never worked: it kept the ``:`` in the
next tool's name). Streamed answers carry no usage: the server drops ``stream_options``.

llama_cpp is imported lazily so the module is importable (and its pure parts testable) without it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from skvm_shim.local_model.prompt import (
    FUNCTION_PREFIX,
    IM_END,
    MESSAGE_PREFIX,
    choice_grammar,
    function_tools,
    parameters_schema,
    render_prompt,
)

HANDLER_NAME = "skvm-chatml-function-calling"
# Cap on generated tokens when the request sets no max_tokens: a 135M model can loop until the
# context is full (8192 tokens, over a minute on 2 cores).
DEFAULT_MAX_TOKENS = 1024

_SAMPLING_KEYS = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "typical_p",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
    "tfs_z",
    "mirostat_mode",
    "mirostat_tau",
    "mirostat_eta",
    "seed",
    "logits_processor",
    "model",
)


def _llama_grammar() -> Any:
    return importlib.import_module("llama_cpp.llama_grammar").LlamaGrammar


def _stops(stop: str | Sequence[str] | None) -> list[str]:
    if stop is None:
        return [IM_END]
    return [stop, IM_END] if isinstance(stop, str) else [*stop, IM_END]


def _forced_name(tool_choice: Any) -> str | None:
    if isinstance(tool_choice, Mapping):
        fn = tool_choice.get("function")
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            return str(fn["name"])
    return None


def _legacy_to_tools(
    functions: Sequence[Mapping[str, Any]] | None, function_call: Any
) -> tuple[list[dict[str, Any]] | None, Any]:
    tools = [{"type": "function", "function": dict(f)} for f in functions or ()]
    if isinstance(function_call, str):
        return tools or None, function_call
    if isinstance(function_call, Mapping) and "name" in function_call:
        return tools or None, {"type": "function", "function": {"name": function_call["name"]}}
    return tools or None, None


def _response_grammar(response_format: Any) -> Any:
    if not isinstance(response_format, Mapping):
        return None
    grammar = _llama_grammar()
    if response_format.get("type") == "json_object":
        schema = response_format.get("schema")
        if isinstance(schema, Mapping):
            return grammar.from_json_schema(json.dumps(schema), verbose=False)
        json_gbnf = importlib.import_module("llama_cpp.llama_grammar").JSON_GBNF
        return grammar.from_string(json_gbnf, verbose=False)
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if isinstance(schema, Mapping):
            return grammar.from_json_schema(json.dumps(schema), verbose=False)
    return None


def _arguments_grammar(function: Mapping[str, Any]) -> Any:
    grammar = _llama_grammar()
    try:
        return grammar.from_json_schema(json.dumps(parameters_schema(function)), verbose=False)
    except Exception:
        # Schemas llama.cpp's converter cannot handle still get valid JSON.
        json_gbnf = importlib.import_module("llama_cpp.llama_grammar").JSON_GBNF
        return grammar.from_string(json_gbnf, verbose=False)


def chatml_tools_handler(
    *,
    llama: Any,
    messages: list[dict[str, Any]],
    functions: list[dict[str, Any]] | None = None,
    function_call: Any = None,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: Any = None,
    stream: bool = False,
    stop: str | list[str] | None = None,
    max_tokens: int | None = None,
    response_format: Any = None,
    grammar: Any = None,
    **kwargs: Any,
) -> Any:
    """llama-cpp-python chat handler (``LlamaChatCompletionHandler``) with OpenAI semantics."""
    if functions and not tools:
        tools, tool_choice = _legacy_to_tools(functions, function_call)
    fns = function_tools(tools)
    sampling = {k: kwargs[k] for k in _SAMPLING_KEYS if k in kwargs and kwargs[k] is not None}
    limit = max_tokens if max_tokens is not None else DEFAULT_MAX_TOKENS
    stops = _stops(stop)
    if tool_choice == "none" or not fns:
        prompt = render_prompt(messages, [])
        text_grammar = grammar if grammar is not None else _response_grammar(response_format)
        completion = llama.create_completion(
            prompt=prompt,
            stream=stream,
            stop=stops,
            max_tokens=limit,
            grammar=text_grammar,
            **sampling,
        )
        return _text_chunks(completion) if stream else _text_response(completion)

    prompt = render_prompt(messages, fns)
    name = _forced_name(tool_choice)
    chosen: Mapping[str, Any] | None = None
    choose_usage: Mapping[str, Any] | None = None
    if name is None:
        choice = llama.create_completion(
            prompt=prompt,
            temperature=0.0,
            stream=False,
            stop=[":"],
            max_tokens=64,
            grammar=_llama_grammar().from_string(
                choice_grammar(fns, required=tool_choice == "required"), verbose=False
            ),
            **{k: v for k, v in sampling.items() if k in ("model", "seed")},
        )
        choose_usage = choice.get("usage")
        picked = str(choice["choices"][0]["text"]).strip()
        if picked.startswith(FUNCTION_PREFIX):
            name = picked[len(FUNCTION_PREFIX) :].rstrip(":")
    if name is not None:
        chosen = next((fn for fn in fns if fn["name"] == name), None)
        if chosen is None:
            raise ValueError(f"tool_choice names {name!r}, which is not among the tools")

    if chosen is None:
        completion = llama.create_completion(
            prompt=f"{prompt}{MESSAGE_PREFIX}\n",
            stream=stream,
            stop=stops,
            max_tokens=limit,
            **sampling,
        )
        if stream:
            return _text_chunks(completion)
        return _with_choice_usage(_text_response(completion), choose_usage)

    completion = llama.create_completion(
        prompt=f"{prompt}{FUNCTION_PREFIX}{chosen['name']}:\n",
        stream=stream,
        stop=stops,
        max_tokens=limit,
        grammar=_arguments_grammar(chosen),
        **sampling,
    )
    if stream:
        return _call_chunks(str(chosen["name"]), completion)
    return _with_choice_usage(_call_response(str(chosen["name"]), completion), choose_usage)


# -- OpenAI response shapes ----------------------------------------------------------------------


def _call_id(completion_id: str) -> str:
    return "call_" + completion_id.removeprefix("cmpl-").replace("-", "")[:24]


def _text_response(completion: Mapping[str, Any]) -> dict[str, Any]:
    choice = completion["choices"][0]
    return {
        "id": "chat" + completion["id"],
        "object": "chat.completion",
        "created": completion["created"],
        "model": completion["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": choice["text"]},
                "logprobs": None,
                "finish_reason": choice.get("finish_reason") or "stop",
            }
        ],
        "usage": dict(completion["usage"]),
    }


def _call_response(name: str, completion: Mapping[str, Any]) -> dict[str, Any]:
    choice = completion["choices"][0]
    finish = "length" if choice.get("finish_reason") == "length" else "tool_calls"
    call = {
        "id": _call_id(str(completion["id"])),
        "type": "function",
        "function": {"name": name, "arguments": choice["text"]},
    }
    return {
        "id": "chat" + completion["id"],
        "object": "chat.completion",
        "created": completion["created"],
        "model": completion["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": dict(completion["usage"]),
    }


def _with_choice_usage(
    response: dict[str, Any], choose_usage: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Count the tokens of the choosing step as generated: the model did produce them."""
    if not choose_usage:
        return response
    usage = response["usage"]
    prompt_tokens = int(choose_usage.get("prompt_tokens", 0))
    total = int(usage.get("total_tokens", 0))
    usage["prompt_tokens"] = prompt_tokens
    usage["completion_tokens"] = max(total - prompt_tokens, 0)
    return response


def _chunk(head: Mapping[str, Any], delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chat" + head["id"],
        "object": "chat.completion.chunk",
        "created": head["created"],
        "model": head["model"],
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def _text_chunks(chunks: Iterator[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    first = True
    for chunk in chunks:
        choice = chunk["choices"][0]
        if first:
            yield _chunk(chunk, {"role": "assistant", "content": ""}, None)
            first = False
        if choice.get("text"):
            yield _chunk(chunk, {"content": choice["text"]}, None)
        if choice.get("finish_reason") is not None:
            yield _chunk(chunk, {}, choice["finish_reason"])


def _call_chunks(name: str, chunks: Iterator[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    first = True
    for chunk in chunks:
        choice = chunk["choices"][0]
        if first:
            head = {
                "index": 0,
                "id": _call_id(str(chunk["id"])),
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            yield _chunk(chunk, {"role": "assistant", "content": None}, None)
            yield _chunk(chunk, {"tool_calls": [head]}, None)
            first = False
        if choice.get("text"):
            piece = {"index": 0, "function": {"arguments": choice["text"]}}
            yield _chunk(chunk, {"tool_calls": [piece]}, None)
        if choice.get("finish_reason") is not None:
            finish = "length" if choice["finish_reason"] == "length" else "tool_calls"
            yield _chunk(chunk, {}, finish)


def register() -> str:
    """Register the handler with llama-cpp-python under :data:`HANDLER_NAME`; return the name."""
    chat_format = importlib.import_module("llama_cpp.llama_chat_format")
    chat_format.LlamaChatCompletionHandlerRegistry().register_chat_completion_handler(
        HANDLER_NAME, chatml_tools_handler, overwrite=True
    )
    return HANDLER_NAME
