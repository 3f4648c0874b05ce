"""``skvm-shim demo``: the example harness on a small skill, against the embedded local model.

It compiles the skill for the model from its measured profile, runs generated tasks for several
rounds while the shim learns templates, and, in a second act, shows what a weak model inherits
from templates a capable stand-in taught. Nothing in it is hand-written for the model: the variant
is the compiler's, the turns are the model's (or labelled as the stand-in's), the figures are
counted. See docs/demo.md.
"""

from skvm_shim.demo.assets import DemoError
from skvm_shim.demo.run import DemoOptions, run_demo
from skvm_shim.demo.summary import DemoSummary

__all__ = ["DemoError", "DemoOptions", "DemoSummary", "run_demo"]
