"""``skvm-shim proxy``: the pipeline over HTTP, for harnesses that cannot be patched in-process.

Harnesses in any language point their OpenAI or Anthropic base URL here; every LLM call runs
through the same :class:`~skvm_shim.pipeline.Pipeline` that ``patch()`` uses and is forwarded to
the real upstream, streaming preserved. Modules, one job each: :mod:`.routes` (which upstream,
which harness), :mod:`.headers` (what crosses), :mod:`.auth` (who may use it), :mod:`.errors`
(errors in the API's own shape), :mod:`.forward` (upstream client, streaming relay and tee),
:mod:`.app` (the ASGI app), :mod:`.server` (uvicorn), :mod:`.harness_env` (``--print-env``).
"""

from __future__ import annotations

from skvm_shim.proxy.app import MAX_BODY, ProxyApp, create_app
from skvm_shim.proxy.auth import TOKEN_ENV, BindRefused
from skvm_shim.proxy.forward import UpstreamCut
from skvm_shim.proxy.headers import TOKEN_HEADER
from skvm_shim.proxy.server import ProxyServer

DEFAULT_UPSTREAM_OPENAI = "https://api.openai.com/v1"
DEFAULT_UPSTREAM_ANTHROPIC = "https://api.anthropic.com"
DEFAULT_PORT = 8788

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_UPSTREAM_ANTHROPIC",
    "DEFAULT_UPSTREAM_OPENAI",
    "MAX_BODY",
    "TOKEN_ENV",
    "TOKEN_HEADER",
    "BindRefused",
    "ProxyApp",
    "ProxyServer",
    "UpstreamCut",
    "create_app",
]
