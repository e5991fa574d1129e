"""Reading notebooks/reports.yml: every mistake is named as ``reports.yml:LINE: what is wrong`` before any kernel starts.

A report's name becomes a file name in reports/ and figures/, and its notebook a path in
notebooks/, so both are held to plain names that cannot point anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from baclofen_evidence import config
from baclofen_evidence.parameters import ParameterError

KEYS = ("name", "notebook", "title", "parameters", "description")
REQUIRED = ("name", "notebook", "title")
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


@dataclass
class Report:
    name: str
    notebook: str
    title: str
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    notebooks_dir: Path = config.NOTEBOOKS_DIR

    @property
    def notebook_path(self) -> Path:
        return self.notebooks_dir / self.notebook


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _value_node(mapping: yaml.Node, key: str) -> yaml.Node | None:
    """The node of `key` itself, whose line is where a reader looks for it (a list value starts a line later)."""
    if isinstance(mapping, yaml.MappingNode):
        for k, v in mapping.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k
    return None


def load_reports(path: Path = config.REPORTS_CONFIG, notebooks_dir: Path = config.NOTEBOOKS_DIR) -> list[Report]:
    where = Path(path).name
    problems: list[str] = []

    def problem(node: yaml.Node | None, message: str) -> None:
        line = _line(node)
        problems.append(f"{where}:{line}: {message}" if line else f"{where}: {message}")

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"{where}: missing ({path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{where}: cannot be read: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ParameterError(f"{where}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("reports"), list):
        raise ParameterError(f"{where}:{_line(root) or 1}: needs a top-level 'reports' list")
    entries_node = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "reports"), None)
    nodes = entries_node.value if isinstance(entries_node, yaml.SequenceNode) else [None] * len(raw["reports"])
    if not raw["reports"]:
        problem(entries_node, "the 'reports' list is empty")
    reports, seen = [], {}
    for entry, node in zip(raw["reports"], nodes):
        if not isinstance(entry, dict):
            problem(node, f"each report must be a mapping with {', '.join(REQUIRED)}, not {type(entry).__name__}")
            continue
        for key in sorted(set(map(str, entry)) - set(KEYS)):
            problem(_value_node(node, key) or node, f"unknown key {key!r}; a report has {', '.join(KEYS)}")
        ok = True
        for key in REQUIRED:
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                problem(_value_node(node, key) or node, f"{key} must be a non-empty string, not {value!r}")
                ok = False
        name, notebook = entry.get("name"), entry.get("notebook")
        if isinstance(name, str) and name and not SAFE_NAME.match(name):
            problem(_value_node(node, "name"), f"name {name!r} becomes a file name: use letters, digits, '_', '-' and '.' only")
            ok = False
        elif isinstance(name, str) and name in seen:
            problem(_value_node(node, "name"), f"report name {name!r} appears twice (first on line {seen[name]})")
            ok = False
        elif isinstance(name, str):
            seen[name] = _line(_value_node(node, "name"))
        if isinstance(notebook, str) and notebook.strip():
            if not SAFE_NAME.match(notebook) or not notebook.endswith(".ipynb"):
                problem(_value_node(node, "notebook"), f"notebook {notebook!r} must be the file name of a notebook in notebooks/")
                ok = False
            elif not (notebooks_dir / notebook).is_file():
                known = ", ".join(sorted(p.name for p in notebooks_dir.glob("*.ipynb")))
                problem(_value_node(node, "notebook"), f"no notebook {notebook!r} in notebooks/; known: {known}")
                ok = False
        params = entry.get("parameters")
        if params is not None and not isinstance(params, dict):
            problem(_value_node(node, "parameters"), f"parameters must be a mapping of name: value, not a {type(params).__name__}")
            ok = False
        elif isinstance(params, dict) and not all(isinstance(k, str) for k in params):
            problem(_value_node(node, "parameters"), "parameter names must be strings")
            ok = False
        description = entry.get("description", "")
        if description is not None and not isinstance(description, str):
            problem(_value_node(node, "description"), f"description must be a string, not {description!r}")
            ok = False
        if ok:
            reports.append(Report(name, notebook, entry["title"], dict(params or {}), description or "", notebooks_dir))
    if problems:
        raise ParameterError("\n".join(problems))
    return reports
