"""One declaration per report parameter, and everything made from it.

A report's parameters are the fields of its section class (sections/<notebook>.py), each declared
once with ``param(default, help, choices=...)``: a type (the field's annotation), a default, the
allowed values and a one-line help. From that declaration come

- the notebook's ``parameters`` cell (``parameters_cell``; `baclofen-evidence notebook-parameters`
  writes it, and a test checks every notebook carries it);
- the notebook's second cell, ``XReport.from_namespace(globals())``, which picks the declared names;
- the type check of ``render`` run before any kernel starts (``check_parameters``);
- the options of the matching command line commands (``add_arguments``);
- the reference table in notebooks/README.md (``reference_markdown``).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from baclofen_evidence import domain
from baclofen_evidence.files import atomic_write
from baclofen_evidence.parameters import ParameterError, did_you_mean, non_finite

PARAM_KEY = "baclofen_evidence.parameter"
TYPE_NAMES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


@dataclass(frozen=True)
class Spec:
    help: str
    choices: tuple | None = None
    cli: bool = True  # also an option of the command line command that runs the same analysis


def param(default: Any, help: str, choices=None, cli: bool = True) -> Any:
    """A report parameter: a dataclass field carrying its help and allowed values."""
    if "\n" in help:
        raise ValueError(f"param help must be one line (it becomes a comment in the parameters cell): {help!r}")
    meta = {PARAM_KEY: Spec(help, tuple(choices) if choices is not None else None, cli)}
    if isinstance(default, list):
        frozen = tuple(default)
        return dataclasses.field(default_factory=lambda: list(frozen), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def data_dir_param() -> Any:
    return param(None, "another copy of the data package (default: data/)", cli=False)


def figures_dir_param() -> Any:
    return param(None, "where figures are saved (default: figures/<report>/)", cli=False)


# Parameters several reports share, declared once so they mean the same on every page and command.
def currency_param(what: str = "money is shown in") -> Any:
    return param(domain.DEFAULT_CURRENCY, f"currency {what} (an ISO code with rates in exchange_rates.csv; each amount "
                                   f"converted at its own year's rate)")


def price_source_param() -> Any:
    return param(None, "price the drug with this one price (a cost_id in data/costs.csv); None = the range over every price")


@dataclass(frozen=True)
class Declared:
    name: str
    types: tuple[type, ...]  # allowed types; NoneType included for optional parameters
    default: Any
    annotation: str
    help: str = ""
    choices: tuple | None = None
    cli: bool = True


def _types(annotation: ast.expr, text: str) -> tuple[type, ...]:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _types(annotation.left, text) + _types(annotation.right, text)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return (type(None),)
    if isinstance(annotation, ast.Subscript):
        return _types(annotation.value, text)
    if isinstance(annotation, ast.Name) and annotation.id in TYPE_NAMES:
        return (TYPE_NAMES[annotation.id],)
    raise ParameterError(f"cannot read the annotation {ast.get_source_segment(text, annotation)!r}")


def _annotation_text(field: dataclasses.Field) -> str:
    # Section modules use `from __future__ import annotations`, so the annotation is already its source text.
    return field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))


def declaration(cls: type) -> dict[str, Declared]:
    """The declared parameters of a section class, in declaration order."""
    out = {}
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(PARAM_KEY)
        if spec is None:
            continue
        text = _annotation_text(f)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        out[f.name] = Declared(f.name, _types(ast.parse(text, mode="eval").body, text), default, text,
                               spec.help, spec.choices, spec.cli)
    return out


class ReportParameters:
    """Mixin of the section classes: their declared parameters, and construction from a notebook's namespace."""

    @classmethod
    def declared(cls) -> dict[str, Declared]:
        return declaration(cls)

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any]):
        """The report built from the notebook's variables of the declared names (globals() after the parameters cell).

        The values are checked against the declaration first, as the render pre-check does, so a value typed into
        the parameters cell in JupyterLab is refused with the same message as on the command line.
        """
        declared = cls.declared()
        values = {name: namespace[name] for name in declared if name in namespace}
        problems = [p for name, value in values.items() if (p := check_value(declared[name], value))]
        if problems:
            raise ParameterError("; ".join(problems))
        return cls(**values)

    def parameter_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.declared()}

    @classmethod
    def title_for(cls, values: Mapping[str, Any], ev) -> str:
        """The page title of the report with these parameters, without running its analysis.

        A section class's title() reads only its parameters and ``self.ev``, so the index (or a test) can name
        a page before, or without, rendering it.
        """
        report = object.__new__(cls)
        report.__dict__.update({name: values.get(name, d.default) for name, d in cls.declared().items()})
        report.ev = ev
        return report.title()


# ---------------------------------------------------------------- notebook <-> section class


def report_class(notebook: Path | str) -> type:
    """The section class of a notebook: the ReportParameters class in sections/<notebook stem>.py."""
    stem = Path(notebook).stem
    try:
        module = importlib.import_module(f"baclofen_evidence.sections.{stem}")
    except ModuleNotFoundError:
        raise ParameterError(f"{Path(notebook).name}: no section module baclofen_evidence.sections.{stem} declares its parameters") from None
    found = [v for v in vars(module).values()
             if isinstance(v, type) and issubclass(v, ReportParameters) and v.__module__ == module.__name__]
    if len(found) != 1:
        raise ParameterError(f"sections/{stem}.py: expected one report class, found {len(found)}")
    return found[0]


def declared_parameters(notebook: Path | str) -> dict[str, Declared]:
    """The names, types, defaults, allowed values and help of a notebook's parameters."""
    return declaration(report_class(notebook))


# ---------------------------------------------------------------- generated text


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a double-quoted Python literal, quotes inside escaped
    return repr(value)


def _choices_text(choices: tuple) -> str:
    return ", ".join("None" if c is None else str(c) for c in choices)


def parameter_line(d: Declared) -> str:
    comment = d.help + (f"; one of: {_choices_text(d.choices)}" if d.choices else "")
    return f"{d.name}: {d.annotation} = {_literal(d.default)}  # {comment}"


def parameters_cell(cls: type) -> str:
    """The text of a notebook's `parameters` cell, made from the declaration."""
    return "\n".join(parameter_line(d) for d in declaration(cls).values())


def construction_cell(cls: type) -> str:
    """The notebook's second cell: the report built from the parameters, then its title and headline."""
    return (f"from {cls.__module__} import {cls.__name__}\n\n"
            f"report = {cls.__name__}.from_namespace(globals())\nreport.headline()")


def write_notebook_cells(notebook: Path) -> bool:
    """Rewrite a notebook's parameters cell and construction cell from the declaration; True when it changed."""
    import nbformat

    cls = report_class(notebook)
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if len(code) < 2 or "parameters" not in code[0].metadata.get("tags", []):
        raise ParameterError(f"{Path(notebook).name}: the first code cell must be tagged 'parameters', the second construct the report")
    wanted = (parameters_cell(cls), construction_cell(cls))
    if (code[0].source, code[1].source) == wanted:
        return False
    code[0].source, code[1].source = wanted
    atomic_write(Path(notebook), (nbformat.writes(nb) + "\n").encode("utf-8"))
    return True


def write_generated(notebooks_dir: Path) -> list[Path]:
    """Rewrite every notebook's first two code cells and notebooks/README.md from the declarations; the files changed."""
    notebooks = sorted(Path(notebooks_dir).glob("*.ipynb"))
    changed = [path for path in notebooks if write_notebook_cells(path)]
    readme = Path(notebooks_dir) / README
    text = reference_markdown(notebooks)
    if not readme.exists() or readme.read_text(encoding="utf-8") != text:
        atomic_write(readme, text.encode("utf-8"))
        changed.append(readme)
    return changed


README = "README.md"


def _cell_text(value: str, code: bool = False) -> str:
    """Text inside a Markdown table cell: pipes escaped; outside code spans, angle brackets too (Markdown reads HTML)."""
    value = value.replace("|", "\\|")
    return value if code else value.replace("<", "&lt;").replace(">", "&gt;")


def reference_markdown(notebooks: list[Path]) -> str:
    """notebooks/README.md: every notebook's parameters, generated from their declarations."""
    lines = ["# Notebook parameters", "",
             "Generated from the declarations in `src/baclofen_evidence/sections/` by "
             "`python -m baclofen_evidence notebook-parameters`; do not edit by hand.", "",
             "Each parameter can be changed in the notebook's first cell, in `notebooks/reports.yml`, or with "
             "`baclofen-evidence render --only REPORT --param NAME=VALUE` (values are read as YAML: "
             "`exclude=[a, b]` is a list). Parameters marked (CLI) are also options of the command named under the "
             "notebook, spelled with dashes (`--dose-band`; a list there is comma-separated: `--exclude a,b`).", ""]
    for path in notebooks:
        cls = report_class(path)
        command = f" Command line: `baclofen-evidence {cli_command(cls)}`." if cli_command(cls) else ""
        lines += [f"## {path.name}", "", f"Declared by `{cls.__module__}.{cls.__name__}`.{command}", "",
                  "| Name | Type | Default | Allowed values | Help |", "| --- | --- | --- | --- | --- |"]
        for d in declaration(cls).values():
            allowed = _choices_text(d.choices) if d.choices else ""
            name = f"`{d.name}`" + (" (CLI)" if d.cli and cli_command(cls) else "")
            lines.append(f"| {name} | `{_cell_text(d.annotation, code=True)}` | `{_cell_text(_literal(d.default), code=True)}` | "
                         f"{_cell_text(allowed)} | {_cell_text(d.help)} |")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- checks


def coerce_cli_value(text: str) -> Any:
    """A --param value from the command line, read as YAML (so 80 is a number and [a, b] a list)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _type_problem(d: Declared, value: Any) -> str | None:
    ok = isinstance(value, d.types) and not (isinstance(value, bool) and bool not in d.types)
    if not ok and float in d.types and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if ok:
        if non_finite(value):
            return f"{d.name}: {value!r} is not a finite number"
        if isinstance(value, list) and any(not isinstance(v, str) for v in value):
            return f"{d.name}: expected a list of strings, got {value!r}"
        return None
    if list in d.types and isinstance(value, str):
        items = [x.strip() for x in value.split(",") if x.strip()]
        items = items or ["a", "b"]
        return (f"{d.name}: expected a list, got the text {value!r}; write it as a list: {d.name}=[{', '.join(items)}] "
                f"with --param (YAML), {d.name} = {items!r} in the notebook ([] for none)")
    if isinstance(value, list) and list not in d.types:
        one = value[0] if len(value) == 1 else "VALUE"
        return (f"{d.name}: expected one value ({d.annotation}), got a list {value!r}; write it without brackets: "
                f"{d.name}={one} with --param, {d.name} = {one!r} in the notebook")
    return f"{d.name}: expected {d.annotation}, got {type(value).__name__} {value!r}"


def check_value(d: Declared, value: Any) -> str | None:
    """What is wrong with one value of a declared parameter (type, finiteness, allowed values), or None."""
    problem = _type_problem(d, value)
    if problem is None and d.choices is not None and value not in d.choices:
        problem = f"{d.name}: {value!r} is not one of {_choices_text(d.choices)}{did_you_mean(value, d.choices)}"
    return problem


def check_parameters(notebook: Path, given: dict[str, Any]) -> dict[str, Any]:
    """Refuse unknown names, wrong types and values outside the allowed ones; return the parameters to inject."""
    declared = declared_parameters(notebook)
    problems = []
    for name, value in given.items():
        if name not in declared:
            problems.append(f"{name}: unknown parameter of {Path(notebook).name}{did_you_mean(name, declared)}; "
                            f"known: {', '.join(declared)}")
            continue
        problem = check_value(declared[name], value)
        if problem:
            problems.append(problem)
    if problems:
        raise ParameterError("; ".join(problems))
    return dict(given)


# ---------------------------------------------------------------- command line


def cli_command(cls: type) -> str | None:
    """The command line command that runs the same analysis as a report class, if any."""
    return getattr(cls, "CLI_COMMAND", None)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _cli_type(d: Declared):
    if list in d.types:
        return lambda text: [x.strip() for x in text.split(",") if x.strip()]
    for t in (int, float, str):
        if t in d.types:
            return t
    return str


def _checked(d: Declared, convert):
    """An argparse type that converts, then refuses a value outside the declared choices with a did-you-mean."""
    import argparse

    def check(text: str):
        value = convert(text)
        problem = check_value(d, value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    check.__name__ = convert.__name__  # argparse names the type in its own messages
    return check


def add_arguments(parser, cls: type, aliases: Mapping[str, str] | None = None) -> None:
    """The declared parameters of `cls` as argparse options of the same names, help, defaults and choices."""
    aliases = aliases or {}
    for d in declaration(cls).values():
        if not d.cli:
            continue
        names = [_option(d.name)] + ([aliases[d.name]] if d.name in aliases else [])
        shown = ", ".join(d.default) if isinstance(d.default, list) else d.default
        # A None default is explained by the help itself ("None = ..."); nothing to add.
        help_ = (d.help if d.default is None or shown == "" else f"{d.help} (default: {shown})").replace("%", "%%")
        if bool in d.types:
            parser.add_argument(*names, dest=d.name, action="store_true", default=d.default, help=d.help.replace("%", "%%"))
        elif list in d.types:
            parser.add_argument(*names, dest=d.name, type=_cli_type(d), default=list(d.default or []), metavar="ID,...",
                                help=help_ + "; comma-separated")
        else:
            choices = [c for c in d.choices if c is not None] if d.choices else None
            metavar = "{" + ",".join(map(str, choices)) + "}" if choices else d.name.upper()
            parser.add_argument(*names, dest=d.name, type=_checked(d, _cli_type(d)), default=d.default, metavar=metavar,
                                help=help_)


def from_arguments(cls: type, args) -> dict[str, Any]:
    """The declared parameters' values from parsed command line options (the others at their defaults)."""
    return {d.name: getattr(args, d.name) for d in declaration(cls).values() if d.cli and hasattr(args, d.name)}
