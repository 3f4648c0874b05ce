"""``python -m skvm_shim.local_model serve``: the same as ``skvm-shim local-model serve``."""

from __future__ import annotations

import sys

from skvm_shim.local_model.command import main

if __name__ == "__main__":
    sys.exit(main())
