"""Mutants and alternatives: realistic code that proves the checks judge correctly.

Each hidden-check module (instructor-only) lists, for its notebook,

* ``MUTANTS``: realistic one-line bugs. The test suite applies each to the reference
  library and asserts that the checks it ``breaks`` fail; ``make demo`` grades a library
  with a few of them applied.
* ``ALTERNATIVES``: correct implementations written the ways students really write them
  (loops, other formulas, other caches, other subgradients). The test suite asserts that
  each gets full marks on every check of its notebook.
"""

import ast
import dataclasses
import pathlib
import shutil
import textwrap

from .registry import hidden_modules


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    module: str  # the library module it changes, e.g. "layers"
    old: str  # text that occurs exactly once in that module
    new: str
    breaks: tuple  # names of checks that must fail


@dataclasses.dataclass(frozen=True)
class Alternative:
    """Correct code for ``functions`` of ``module``, appended to the reference module (later
    definitions win). It is a complete implementation of each function it names: it never
    calls the reference version it replaces. Functions that share a cache (a forward and
    its backward) are replaced together when the cache differs from the reference's."""
    name: str
    module: str  # the library module, e.g. "activations"
    code: str  # Python source defining every function in ``functions`` (and private helpers)
    functions: tuple  # the public functions it replaces, e.g. ("relu_backward",)

    @property
    def qualnames(self):
        return tuple(f"{self.module}.{f}" for f in self.functions)

    def definitions(self):
        """Names the code defines at the top level (functions, classes, variables; not imports)."""
        names = set()
        for node in ast.parse(textwrap.dedent(self.code)).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        return names

    def captures(self):
        """Replaced functions the code reads outside a function body: there, the name is
        still the reference's (``_reference = relu_forward``)."""
        found = set()
        for node in ast.parse(textwrap.dedent(self.code)).body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.functions)
        return found


def load_mutants(hidden_dir):
    return [m for module in hidden_modules(hidden_dir) for m in getattr(module, "MUTANTS", [])]


def load_alternatives(hidden_dir):
    return [a for module in hidden_modules(hidden_dir) for a in getattr(module, "ALTERNATIVES", [])]


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


def apply_alternatives(reference_lib, target, alternatives):
    """Copy the reference library to ``target`` with the given alternatives appended.

    Refuses an alternative whose code does not define exactly the public functions it
    names, and two alternatives that replace the same function or define the same name.
    """
    target = pathlib.Path(target)
    shutil.copytree(reference_lib, target, ignore=shutil.ignore_patterns("__pycache__"))
    defined = {}  # (module, name) -> alternative
    for alt in alternatives:
        names = alt.definitions()
        public = {n for n in names if not n.startswith("_")}
        if public != set(alt.functions):
            raise ValueError(f"alternative {alt.name}: its code defines {sorted(public)}, "
                             f"but it names {sorted(alt.functions)}")
        if alt.captures():
            raise ValueError(f"alternative {alt.name}: it keeps the reference's {sorted(alt.captures())} "
                             "to call; an alternative must be its own implementation")
        for name in names:
            if (alt.module, name) in defined:
                raise ValueError(f"alternatives {defined[alt.module, name]} and {alt.name} both define "
                                 f"{alt.module}.{name}")
            defined[alt.module, name] = alt.name
        path = target / f"{alt.module}.py"
        path.write_text(path.read_text() + f"\n\n# -- alternative {alt.name}\n" + textwrap.dedent(alt.code).strip()
                        + "\n")
    return target


def packs(alternatives):
    """The alternatives split into as few libraries as greedy packing finds, none of which
    defines a name twice: each pack can be graded as one student's library."""
    def names(alt):
        return {(alt.module, n) for n in alt.definitions()}

    result = []
    for alt in alternatives:
        for pack in result:
            if not set().union(*map(names, pack)) & names(alt):
                pack.append(alt)
                break
        else:
            result.append([alt])
    return result
