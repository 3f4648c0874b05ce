"""The demo, as a script: the same as ``skvm-shim demo`` (arguments are passed on).

It runs ``examples/agent_loop.py`` under ``skvm_shim.patch()`` on the ``line-count`` skill against
the embedded local model (the scripted upstream, announced, when the local model is not
installed), compiles the skill for the model from its measured profile, and shows what the shim
learned and replayed. See docs/demo.md.

    python examples/patch_demo.py [--rounds N] [--tasks N] [--backend local|scripted] [--json FILE]
"""

from __future__ import annotations

import sys

from skvm_shim.cli.demo import demo

if __name__ == "__main__":
    demo(sys.argv[1:], prog_name="python examples/patch_demo.py")
