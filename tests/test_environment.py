"""The three places that name the environment agree: pyproject.toml, requirements.lock, environment.yml."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from baclofen_evidence import config

ROOT = config.PROJECT_ROOT


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", line)
        if m:
            pins[_norm(m.group(1))] = m.group(2)
    return pins


def direct_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return [_norm(Requirement(r).name) for r in reqs]


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for pip_dep in dep.get("pip", []):
                name, _, version = pip_dep.partition("==")
                pins[_norm(name)] = version
        else:
            name, _, version = dep.partition("=")
            pins[_norm(name)] = version
    return pins


def test_lock_pins_every_direct_dependency_exactly():
    pins = lock_pins()
    missing = [name for name in direct_dependencies() if name not in pins]
    assert not missing


def test_outputs_that_shape_notebooks_are_pinned_exactly():
    pins = lock_pins()
    for name in ("pandas", "numpy", "matplotlib", "seaborn"):
        assert re.fullmatch(r"\d+(\.\d+)+", pins[name]), name


def test_environment_yml_agrees_with_the_lock():
    pins, env = lock_pins(), environment_pins()
    disagree = {name: (env.get(name), pins[name]) for name in direct_dependencies() if env.get(name) != pins[name]}
    assert not disagree, f"environment.yml vs requirements.lock (env, lock): {disagree}"


def test_environment_yml_python_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert environment_pins()["python"] == "3.11"
    assert project["requires-python"].startswith(">=3.11")
