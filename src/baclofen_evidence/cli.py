"""Command line: `python -m baclofen_evidence COMMAND` (also installed as `baclofen-evidence`).

Every number a report shows can be reproduced from here without Jupyter. Bad data or bad
parameters end in plain messages and exit status 1, never in a stack trace.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from baclofen_evidence import config
from baclofen_evidence.datapackage import DataError, load, validate


class UsageError(Exception):
    """A parameter is wrong; the message names it."""


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data) if args.data else config.DATA_DIR


def emit(records: list[dict], fmt: str, table: pd.DataFrame | None = None) -> None:
    """Print records as JSON, CSV or a readable table."""
    if fmt == "json":
        print(json.dumps(records, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        frame = table if table is not None else pd.DataFrame(records)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        print(buffer.getvalue(), end="")
    else:
        frame = table if table is not None else pd.DataFrame(records)
        with pd.option_context("display.width", 250, "display.max_colwidth", 40):
            print(frame.to_string(index=False, na_rep=""))


# ---------------------------------------------------------------- commands


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    problems = validate(data_dir)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in the data package at {data_dir}", file=sys.stderr)
        return 1
    ev = load(data_dir)
    counts = ", ".join(f"{len(frame)} {name}" for name, frame in ev.tables.items())
    print(f"data package valid: {counts}", file=sys.stderr)
    return 0


@command("studies")
def cmd_studies(args: argparse.Namespace) -> int:
    from baclofen_evidence.studies import study_records, study_table

    ev = load(_data_dir(args))
    emit(study_records(ev), args.format, None if args.format == "json" else study_table(ev))
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baclofen-evidence", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, formats: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--data", metavar="DIR", help="data package directory (default: data/)")
        if formats:
            p.add_argument("--format", choices=["table", "json", "csv"], default="table", help="output format (default: table)")
        return p

    add("validate", "check the data package against datapackage.json and the cross-table rules", formats=False)
    add("studies", "list every study with n, dose, duration, direction and identifiers")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except DataError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in the data package; run `baclofen-evidence validate` for the full list",
              file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
