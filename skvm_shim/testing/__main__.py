"""``python -m skvm_shim.testing`` is ``python -m skvm_shim.testing.upstream``."""

from skvm_shim.testing.upstream import main

raise SystemExit(main())
