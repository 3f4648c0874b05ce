"""``python -m skvm_shim.cli``: the same as the ``skvm-shim`` command."""

from skvm_shim.cli import main

main(prog_name="skvm-shim")
