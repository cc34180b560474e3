"""environment.yml (conda) and pyproject.toml (pip) describe the same environment."""
import re
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]


def name_and_spec(requirement):
    """'scikit-learn>=1.3' -> ('scikit-learn', '>=1.3'); conda's 'python=3.11' style too."""
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def pyproject_requirements():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        if name.startswith("cuda"):      # the GPU extras: environment-gpu.yml for conda
            continue
        listed += [r for r in extra if not r.startswith("mlkit")]
    return dict(map(name_and_spec, listed))


def conda_requirements():
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            listed += [r for r in entry["pip"] if not r.startswith("-")]
        elif not entry.startswith(("python", "pip")) or entry.startswith("python-"):
            listed.append(entry)
    return dict(map(name_and_spec, listed))


def test_same_dependencies_with_the_same_versions():
    assert conda_requirements() == pyproject_requirements()


def test_same_python():
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    python = next(e for e in environment["dependencies"]
                  if isinstance(e, str) and e.startswith("python="))
    minimum = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert tuple(map(int, python[7:].split("."))) >= tuple(map(int, minimum[2:].split(".")))


def test_the_gpu_environment_is_the_same_plus_cupy():
    base = yaml.safe_load((REPO / "environment.yml").read_text())
    gpu = yaml.safe_load((REPO / "environment-gpu.yml").read_text())
    assert gpu["channels"] == base["channels"] == ["conda-forge"]
    extra = [d for d in gpu["dependencies"] if d not in base["dependencies"]]
    assert [name_and_spec(d)[0] for d in extra if isinstance(d, str)] == ["cupy"]
    assert all(d in gpu["dependencies"] for d in base["dependencies"])
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert set(project["optional-dependencies"]) >= {"cuda12", "cuda13"}
