"""Shared fixtures. Tests import the *reference* library as ``cs231n_lib``."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
REFERENCE_LIB = SOLUTIONS / "cs231n_lib"
STUB_LIB = ROOT / "cs231n_lib"

# The reference package, not the released stubs, is what `import cs231n_lib` means in tests.
sys.path.insert(0, str(SOLUTIONS))
