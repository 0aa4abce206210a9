"""environment.yml gives conda users the same dependencies as pyproject.toml."""

import re
import tomllib

from conftest import ROOT


def normalise(spec):
    spec = spec.split(";")[0]  # an environment marker: conda has its own platforms
    name, constraint = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower().replace("_", "-"), constraint.replace(" ", "")


def conda_dependencies():
    conda, pip, in_pip = set(), set(), False
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:"):].splitlines()[1:]:
        line = line.split("#")[0].rstrip()
        if re.match(r"^\s+- pip:$", line):
            in_pip = True
        elif m := re.match(r"^(\s+)- (\S.*)$", line):
            (pip if in_pip and len(m.group(1)) > 2 else conda).add(normalise(m.group(2)))
    return conda, pip


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {normalise(d) for d in project["dependencies"] + project["optional-dependencies"]["dev"]}
    conda, pip = conda_dependencies()
    python = next(c for n, c in conda if n == "python")
    assert python == project["requires-python"]
    assert (conda | pip) - {("python", python), ("pip", "")} == wanted
