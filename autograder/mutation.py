"""Mutants: realistic one-line bugs that prove the checks can fail.

Each hidden-check module (instructor-only) lists ``MUTANTS`` for its notebook. The test
suite applies each to the reference library and asserts that the checks it ``breaks``
fail; ``make demo`` grades a library with a few of them applied.
"""

import dataclasses
import pathlib
import shutil

from .registry import hidden_modules


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    module: str  # the library module it changes, e.g. "layers"
    old: str  # text that occurs exactly once in that module
    new: str
    breaks: tuple  # names of checks that must fail


def load_mutants(hidden_dir):
    return [m for module in hidden_modules(hidden_dir) for m in getattr(module, "MUTANTS", [])]


def apply(reference_lib, target, mutants):
    """Copy the reference library to ``target`` with the given mutants applied."""
    target = pathlib.Path(target)
    shutil.copytree(reference_lib, target, ignore=shutil.ignore_patterns("__pycache__"))
    for m in mutants:
        path = target / f"{m.module}.py"
        text = path.read_text()
        if text.count(m.old) != 1:
            raise ValueError(f"mutant {m.name}: its text occurs {text.count(m.old)} times in {path.name}, not once")
        path.write_text(text.replace(m.old, m.new))
    return target
