"""``python -m skvm_shim.local_model serve``: ``skvm-shim local-model serve``, the same parser."""

from __future__ import annotations

from skvm_shim.cli import main as cli
from skvm_shim.cli.local_model import local_model

if __name__ == "__main__":
    local_model.main(prog_name="python -m skvm_shim.local_model", **cli.context_settings)
