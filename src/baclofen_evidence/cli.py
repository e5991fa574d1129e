"""Command line: `python -m baclofen_evidence COMMAND` (also installed as `baclofen-evidence`).

Every number a report shows can be reproduced from here without Jupyter. Bad data or bad
parameters end in plain messages and the exit status of EXIT_CODES, never in a stack trace.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from baclofen_evidence import config
from baclofen_evidence.datapackage import DataError, load, validate
from baclofen_evidence.formatting import to_json
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.studies import plain
from baclofen_evidence import formatting as fmt


TABLE_CELL_WIDTH = 60  # readable tables cut long text; --format json or csv gives it whole


EXIT_CODES = """exit status:
  0  done
  1  the data or the analysis failed: a data package or input file that is missing or has problems
     (each named FILE:ROW:COLUMN), a report that failed to render, or an unexpected error
  2  the command line is wrong: an unknown command or option, a value that is not allowed (an unknown
     outcome, source, study, report or parameter, a number out of range), or options that contradict
     each other; the message names the option
"""
USAGE_EXIT, DATA_EXIT = 2, 1


class UsageError(Exception):
    """A parameter is wrong; the message names it (exit 2)."""


class DataNotFound(Exception):
    """--data names no usable folder: the data are missing, not the command wrong (exit 1)."""


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data is None:
        return config.DATA_DIR
    # An empty --data is almost always an unset shell variable; silently using data/ would hide that.
    if not args.data.strip():
        raise DataNotFound("--data: the folder is empty ('') - was a shell variable unset? Leave --data out to use data/")
    path = Path(args.data)
    if not path.exists():
        raise DataNotFound(f"--data: no such folder: {args.data}")
    if not path.is_dir():
        raise DataNotFound(f"--data: not a folder: {args.data} (give the folder holding {config.DATAPACKAGE})")
    return path


def emit(records: list[dict], fmt: str, table: pd.DataFrame | None = None) -> None:
    """Print records as JSON, CSV or a readable table."""
    if fmt == "json":
        print(to_json(records))
    elif fmt == "csv":
        frame = table if table is not None else pd.DataFrame(records)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        print(buffer.getvalue(), end="")
    else:
        frame = table if table is not None else pd.DataFrame(records)
        shown = frame.astype(object).apply(lambda col: col.map(lambda v: _cell_text(v, col.name)))
        print(shown.to_string(index=False))


def _cell_text(value, column) -> str:
    """A terminal table cell: numbers through formatting (4 significant digits), long text cut short."""
    text = fmt.cell(value, column, figures=4)
    return text if len(text) <= TABLE_CELL_WIDTH else text[: TABLE_CELL_WIDTH - 1] + "…"


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
    from baclofen_evidence.study_results import se_disagreements

    for warning in se_disagreements(ev):
        print(f"warning: {warning}", file=sys.stderr)
    counts = ", ".join(f"{len(frame)} {name}" for name, frame in ev.tables.items())
    print(f"data package valid: {counts}", file=sys.stderr)
    return 0


@command("studies")
def cmd_studies(args: argparse.Namespace) -> int:
    from baclofen_evidence.studies import study_records, study_table

    ev = load(_data_dir(args))
    emit(study_records(ev), args.format, None if args.format == "json" else study_table(ev))
    return 0


@command("meta")
def cmd_meta(args: argparse.Namespace) -> int:
    from baclofen_evidence import meta_analysis as meta

    ev = load(_data_dir(args))
    # The report's parameters mean the same here: dose_band/dose_threshold select arms exactly as the notebook does.
    ma = meta.run(ev, args.outcome, args.measure, args.method, args.hksj, args.exclude,
                  comparator=args.comparator, min_duration_weeks=args.min_duration_weeks, drop_derived=args.drop_derived,
                  drop_weak=args.drop_weak, arm_level_only=args.arm_level_only,
                  **meta.dose_limits(args.dose_band, args.dose_threshold))
    result = ma.to_dict()
    if args.format == "json":
        print(to_json(result))
        return 0
    studies = pd.DataFrame(result["studies"])
    if args.format == "csv":
        emit([], "csv", studies)
        return 0
    print(f"{ma.outcome_label} ({ma.outcome_id}): {ma.model_name()}; comparator {ma.comparator}")
    if ma.result is None:
        print(f"not pooled: {ma.reason_not_pooled}")
    else:
        r = ma.result
        print(f"k = {ma.k}, participants = {ma.n_participants}")
        print(f"{fmt.effect(ma.measure, ma.scale(r.estimate), ma.scale(r.ci_low), ma.scale(r.ci_high))}; "
              f"{fmt.interval(ma.scale(r.pi_low), ma.scale(r.pi_high), label='prediction interval')}")
        print(f"tau2 = {fmt.significant(r.tau2)}, I2 = {fmt.number(r.i2, 1)}%, Q = {fmt.number(r.q)} "
              f"(df {r.q_df}, {fmt.p_value(r.q_p)})")
    from baclofen_evidence.coverage import coverage

    print(f"coverage: {coverage(ma).sentence()}")
    if not studies.empty:
        # Each trial on the reporting scale (RR, not log RR) with its interval, as the forest plot shows it.
        shown = pd.DataFrame({
            "study_id": studies["study_id"],
            f"{ma.measure} (95% CI)": [fmt.effect(None, e, lo, hi) for e, lo, hi in
                                       zip(studies["effect"], studies["ci_low"], studies["ci_high"])],
            "weight": [fmt.percent(w / 100, 1) for w in studies["weight"]],
            "route": studies["route"], "data_from": studies["data_from"], "conversion": studies["conversion"]})
        emit([], "table", shown)
    return 0


@command("claims")
def cmd_claims(args: argparse.Namespace) -> int:
    from baclofen_evidence import source_ids
    from baclofen_evidence.claims import verdicts

    ev = load(_data_dir(args))
    table = verdicts(ev, source_ids.resolve(ev.sources, args.source) if args.source is not None else None)
    records = [{k: plain(v) for k, v in row.items()} for row in table.to_dict("records")]
    if args.format == "table":
        emit(records, "table", table[["claim_id", "source_id", "study_id", "verdict", "evidence"]])
    else:
        emit(records, args.format, table)
    return 0


@command("costs")
def cmd_costs(args: argparse.Namespace) -> int:
    from baclofen_evidence import costs

    table = costs.cost_per_patient(load(_data_dir(args)), args.currency, args.price_source)
    records = [{k: plain(v) for k, v in row.items()} for row in table.to_dict("records")]
    if args.format != "table":
        emit(records, args.format, table)
        return 0
    shown = pd.DataFrame({
        "study_id": table["study_id"],
        f"drug cost per patient ({args.currency})": [
            fmt.money_range(r["drug_cost_low"], r["drug_cost_high"], r["currency"], digits=2,
                            missing="not converted" if r["drug_prices_used"] == 0 else "no dose or duration")
            for r in records],
        "cheapest / dearest price": [
            "" if r["drug_cost_low_source"] is None else f"{r['drug_cost_low_source']} / {r['drug_cost_high_source']}"
            for r in records],
        f"trial budget per patient ({args.currency})": [
            "" if r["budget_source"] is None
            else f"{fmt.money(r['trial_budget_per_patient'], r['currency'], missing='not converted')}, {r['budget_basis']}"
            for r in records],
        "notes": table["notes"],
    })
    emit(records, "table", shown)
    return 0


@command("tsa")
def cmd_tsa(args: argparse.Namespace) -> int:
    from baclofen_evidence import costs, settling
    from baclofen_evidence import tsa as trial_sequential

    ev = load(_data_dir(args))
    costs.check_currency(ev, args.currency)
    t = trial_sequential.run(ev, args.outcome, args.control_event_proportion, args.rrr, args.mird, args.sd, args.alpha, args.beta,
                             args.method, args.d2)
    out = t.to_dict()
    left = settling.remaining(t.ris_adjusted, t.accrued)
    price = settling.price(ev, left, args.currency, args.cost_source)
    out["cost_to_settle"] = {**price.to_dict(), "range": [p.to_dict() for p in settling.price_range(ev, left, args.currency)],
                             "not_converted": [{"cost_id": r.cost_id, "label": r.label, "reason": r.conversion}
                                               for r in settling.not_converted(ev, args.currency).itertuples()]}
    if t.d2_observed == 0 and args.d2 is None:
        out["sensitivity"] = trial_sequential.sensitivity(ev, t)
    if args.format == "json":
        print(to_json(out))
        return 0
    looks = pd.DataFrame(out["looks"])[["study_id", "year", "cumulative_participants", "fraction", "z", "z_efficacy",
                                        "z_futility", "separate_look", "note"]]
    if args.format == "csv":
        emit([], "csv", looks)
        return 0
    i = t.inputs
    if i.kind == "binary":
        print(f"{t.outcome_label}: control event proportion {fmt.number(i.control_event_proportion, 3)}, RRR {fmt.percent(i.rrr)}, "
              f"alpha {fmt.as_printed(i.alpha)} (two-sided), beta {fmt.as_printed(i.beta)}")
    else:
        print(f"{t.outcome_label}: minimal relevant difference {fmt.as_printed(i.mird)}, SD {fmt.significant(i.sd)}, alpha {fmt.as_printed(i.alpha)} (two-sided), beta {fmt.as_printed(i.beta)}")
    print(f"D2 = {fmt.percent(t.d2, 1)}; RIS {fmt.count(t.ris)}, diversity-adjusted {fmt.count(t.ris_adjusted)}; accrued {fmt.count(t.accrued)} "
          f"({fmt.percent(t.fraction, 1)}); Z-curve: {out['model']}; {out['orientation']}")
    print(f"verdict: {t.verdict}: {t.verdict_text}")
    print(t.conventional)
    print(f"cost to settle: {fmt.count(left)} more participants x {fmt.money(price.per_patient, price.currency)} ({price.label}, {price.basis}) "
          f"= {fmt.money(price.amount, price.currency)}")
    emit([], "table", looks)
    return 0


def gosh_inputs(args: argparse.Namespace) -> tuple[list[str], list[float], list[float], dict]:
    """Study ids, yi and vi for GOSH: from --input FILE.csv, or from the project's analysis of --outcome."""
    if bool(args.input) == bool(args.outcome):
        raise UsageError("gosh: give either --outcome (the project's analyses) or --input FILE.csv (columns study, yi, vi)")
    if args.input:
        from baclofen_evidence.effects_input import read_effects

        eff = read_effects(args.input)
        return eff.studies, eff.yi, eff.vi, {"input": str(args.input), "scale": "as given"}
    from baclofen_evidence import meta_analysis as meta

    ma = meta.run(load(_data_dir(args)), args.outcome, args.measure)
    if ma.k < 2:
        raise UsageError(f"gosh: {args.outcome} has {ma.k} usable trial(s); GOSH needs at least 2")
    info = {"outcome": ma.outcome_id, "measure": ma.measure, "scale": "log" if ma.ratio else "natural"}
    return list(ma.studies["study_id"]), list(ma.studies["yi"]), list(ma.studies["vi"]), info


@command("gosh")
def cmd_gosh(args: argparse.Namespace) -> int:
    from baclofen_evidence import gosh

    try:
        studies, yi, vi, info = gosh_inputs(args)
    except DataError as exc:
        if not args.input:
            raise
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {args.input}", file=sys.stderr)
        return 1
    if args.max_subsets < 2:
        raise UsageError(f"--max-subsets: must be at least 2, not {args.max_subsets}")
    with gosh.executor_for(args.scheduler, args.workers) as executor:
        res = gosh.run(yi, vi, studies, method=args.method, max_subsets=args.max_subsets, seed=args.seed,
                       executor=executor, workers=args.workers)
    if res.n_unconverged:
        print(f"warning: the tau2 iteration did not converge for {res.n_unconverged} subset(s); "
              "they are reported with converged = false and no estimate", file=sys.stderr)
    head = {**info, "method": res.method, "studies": res.studies, "exhaustive": res.exhaustive, "seed": res.seed,
            "n_subsets": res.n_subsets, "n_unconverged": res.n_unconverged, "description": res.description()}
    if args.format == "csv":
        emit([], "csv", res.table())
    elif args.format == "json":
        table = res.table()
        table["members"] = [m.split(";") for m in table["members"]]
        head["subsets"] = table.to_dict("records")
        print(to_json(head, indent=None))
    else:
        print(res.description())
        s = res.stats[res.stats["converged"]]
        print(f"estimate: median {fmt.significant(s['estimate'].median(), 4)}, range {fmt.significant(s['estimate'].min(), 4)} to {fmt.significant(s['estimate'].max(), 4)}; "
              f"I2 median {fmt.number(s['i2'].median(), 1)}%; not converged: {res.n_unconverged}")
        emit([], "table", gosh.influence(res))
    return 0


@command("multiverse")
def cmd_multiverse(args: argparse.Namespace) -> int:
    from baclofen_evidence import multiverse

    mv = multiverse.build(load(_data_dir(args)))
    if args.format == "json":
        doc = {"summary": mv.summary(), "defaults": multiverse.defaults_text(),
               "dropped_by_reason": mv.drop_reasons().to_dict("records"),
               "choices": multiverse.choice_effects(mv).to_dict("records"),
               "levels": multiverse.level_shifts(mv).to_dict("records"),
               "specifications": mv.specs.to_dict("records"), "dropped": mv.dropped.to_dict("records")}
        print(to_json(doc))
    elif args.format == "csv":
        emit([], "csv", mv.specs)
    else:
        s = mv.summary()
        print(f"{s['specifications']} specifications of a grid of {s['grid']} ({s['dropped']} dropped); "
              f"{fmt.percent(s['share_favouring_baclofen'])} favour baclofen, {fmt.percent(s['share_ci_excludes_null'])} have a 95% CI excluding no effect; "
              f"median SMD {fmt.number(s['median_estimate'])} ({fmt.number(s['min_estimate'])} to {fmt.number(s['max_estimate'])})")
        emit([], "table", mv.drop_reasons())
        emit([], "table", multiverse.choice_effects(mv))
    return 0


def outcome_records(ev) -> list[dict]:
    """Every outcome an analysis can be run on, with how many placebo-controlled trials give it a usable result."""
    from baclofen_evidence import meta_analysis as meta
    from baclofen_evidence.coverage import coverage

    records = []
    for outcome_id, d in meta.analysis_outcomes(ev.descriptor).items():
        ma = meta.run(ev, outcome_id)
        cov = coverage(ma)
        rec = {"outcome": outcome_id, "label": d["label"], "kind": d["kind"], "measure": ma.measure,
               "trials": cov.trials, "participants": cov.participants, "placebo_controlled_rcts": cov.reference_trials}
        # Trials that report only a standardised effect (Cohen's d, a t statistic) enter on the SMD scale only.
        rec["trials_as_smd"] = coverage(meta.run(ev, outcome_id, "SMD")).trials if d["kind"] == "continuous" else None
        records.append(rec)
    return records


def report_records() -> list[dict]:
    from baclofen_evidence.reports_config import load_reports

    return [{"name": r.name, "notebook": r.notebook, "title": r.title, "parameters": r.parameters}
            for r in load_reports()]


@command("list")
def cmd_list(args: argparse.Namespace) -> int:
    if args.what == "reports":
        records = report_records()
        table = pd.DataFrame(records).assign(parameters=[", ".join(f"{k}={v}" for k, v in r["parameters"].items())
                                                         for r in records])
        emit(records, args.format, table if args.format != "json" else None)
        return 0
    ev = load(_data_dir(args))
    if args.what == "outcomes":
        records = outcome_records(ev)
        emit(records, args.format, pd.DataFrame(records).astype({"trials_as_smd": "Int64"}))
    elif args.what == "sources":
        from baclofen_evidence import source_ids

        emit(source_ids.source_records(ev.sources), args.format)
    else:
        from baclofen_evidence.studies import study_records, study_table

        emit(study_records(ev), args.format, None if args.format == "json" else study_table(ev))
    return 0


@command("render")
def cmd_render(args: argparse.Namespace) -> int:
    from baclofen_evidence import render
    from baclofen_evidence.report_parameters import coerce_cli_value

    overrides = {}
    for item in args.param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        if not value.strip():
            # Almost always an unset shell variable; YAML would read it as null, silently meaning the default.
            raise UsageError(f"--param {item}: the value is empty - was a variable unset? Write {key.strip()}=null for none")
        overrides[key.strip()] = coerce_cli_value(value)
    only = [x.strip() for x in args.only.split(",")] if args.only else None
    output = None
    if args.output is not None:
        if not args.output.strip():
            raise UsageError("--output: the folder is empty ('') - was a shell variable unset? Leave --output out to write into reports/")
        output = Path(args.output)
        if output.exists() and not output.is_dir():
            raise UsageError(f"--output: not a folder: {args.output}")
        if output.resolve() == config.REPORTS_DIR.resolve():
            output = None  # the canonical folder: variants still get their own names there
    outcomes = render.render_all(only=only, jobs=args.jobs, overrides=overrides, output=output)
    text, code = render.summary(outcomes, variant=bool(overrides) and output is None, folder=output)
    print(text)
    return code


@command("baseline")
def cmd_baseline(args: argparse.Namespace) -> int:
    from baclofen_evidence import render

    for path in render.baseline():
        print(f"stored outputs of {path.relative_to(config.PROJECT_ROOT)}")
    return 0


@command("notebook-parameters")
def cmd_notebook_parameters(args: argparse.Namespace) -> int:
    from baclofen_evidence import report_parameters

    changed = report_parameters.write_generated(config.NOTEBOOKS_DIR)
    for path in changed:
        print(f"rewrote {path.relative_to(config.PROJECT_ROOT)}")
    if not changed:
        print("the notebooks' parameters cells and notebooks/README.md are up to date")
    return 0


@command("lab")
def cmd_lab(args: argparse.Namespace) -> int:
    from baclofen_evidence import lab

    try:
        return lab.main(args.port, args.token)
    except lab.LabError as exc:
        raise UsageError(str(exc)) from None


@command("reference-inputs")
def cmd_reference_inputs(args: argparse.Namespace) -> int:
    from baclofen_evidence import reference

    ev = load(_data_dir(args))
    for path in reference.write_inputs(ev, Path(args.out)):
        print(path)
    print(reference.write_rpact_cases(ev, Path(args.out).parent))
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from baclofen_evidence.report_parameters import add_arguments
    from baclofen_evidence.sections.costs import CostsReport
    from baclofen_evidence.sections.meta_analysis import MetaAnalysisReport
    from baclofen_evidence.sections.tsa import TsaReport

    parser = argparse.ArgumentParser(prog="baclofen-evidence", description=__doc__.splitlines()[0], epilog=EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, formats: bool = True, into=sub) -> argparse.ArgumentParser:
        p = into.add_parser(name, help=help_, description=help_, epilog=EXIT_CODES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--data", metavar="DIR", help="data package directory (default: data/)")
        if formats:
            p.add_argument("--format", choices=["table", "json", "csv"], default="table", help="output format (default: table)")
        return p

    add("validate", "check the data package against datapackage.json and the cross-table rules", formats=False)
    add("studies", "list every study with n, dose, duration, direction and identifiers")

    m = add("meta", "meta-analysis of one outcome (the numbers of the meta-analysis report; its parameters, same names)")
    add_arguments(m, MetaAnalysisReport)
    m.add_argument("--drop-derived", action="store_true", help="sensitivity: leave out counts derived from percentages")
    m.add_argument("--drop-weak", action="store_true", help="sensitivity: leave out weak conversions (assumed group sizes, a p alone) and stand-in outcomes")
    m.add_argument("--arm-level-only", action="store_true", help="sensitivity: per-arm data only, as before study-level results were used")

    c = add("claims", "verdict on every claim of the sources, with the deciding evidence")
    c.add_argument("--source", help="only this source: its short id (000) or its full source_id (list sources shows them)")

    k = add("costs", "per study: drug cost per patient as a range across the price sources, and the trial budget per patient "
                     "where published; an amount with no exchange rate to --currency is left empty, with the reason in notes "
                     "(the costs report's parameters, same names)")
    add_arguments(k, CostsReport)

    t = add("tsa", "trial sequential analysis of one outcome: RIS, boundaries, Z-curve, verdict, cost to settle "
                   "(the TSA report's parameters, same names)")
    add_arguments(t, TsaReport, aliases={"control_event_proportion": "--control-proportion"})
    t.add_argument("--d2", type=float, help="fix the diversity D2 (default: the observed one)")

    g = add("gosh", "GOSH: the model fitted to every subset of the trials (a seeded random sample above --max-subsets)")
    g.add_argument("--outcome", help="an outcome of the project's analyses, e.g. primary_drinking, abstinence")
    g.add_argument("--input", metavar="FILE.csv", help="anyone's effect sizes: a CSV with columns study, yi, vi")
    g.add_argument("--measure", choices=["RR", "OR", "RD", "SMD", "MD"], help="effect measure for --outcome (default as in meta)")
    g.add_argument("--method", choices=["FE", "DL", "REML", "PM"], default="REML", help="model fitted to each subset (default: REML)")
    g.add_argument("--max-subsets", type=int, default=1_000_000, metavar="N",
                   help="fit every subset up to N, a random sample of N above (default: 1,000,000, as metafor's gosh())")
    g.add_argument("--seed", type=int, default=20120101, help="seed of the random sample (default: 20120101)")
    g.add_argument("--workers", type=int, metavar="N", help="worker processes (default: the number of cores)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="'inline', 'process', or a Dask scheduler address (tcp://host:port; needs the extra `cluster`)")

    ls = sub.add_parser("list", help="list outcomes, sources, studies or reports", description="list outcomes, sources, studies or reports",
                        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = ls.add_subparsers(dest="what", required=True, metavar="WHAT")
    add("outcomes", "every outcome with its label and how many placebo-controlled trials give it a usable result", into=what)
    add("sources", "every source: its short id (as in claims --source 000), outlet and title", into=what)
    add("studies", "every study with n, dose, duration, direction and identifiers (as the studies command)", into=what)
    add("reports", "every report of notebooks/reports.yml: name, notebook, title and parameters", into=what)

    add("multiverse", "every defensible analysis: trial sets x outcomes x estimators x HKSJ x dose bands (specification curve)")

    r = sub.add_parser("render", help="render every report in notebooks/reports.yml to HTML (make reports)",
                       description="render every report in notebooks/reports.yml to HTML")
    r.add_argument("--only", metavar="NAME,...", help="render only these reports")
    r.add_argument("--jobs", type=int, metavar="N", help="parallel workers (default: the number of cores)")
    r.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="override a notebook parameter in every report rendered; the result is a variant, written as "
                        "reports/NAME--KEY-VALUE.html beside the canonical report, which stays as it is (as does the index)")
    r.add_argument("--output", metavar="DIR", help="write pages, notebooks, figures and an index into DIR instead of reports/ and figures/")

    sub.add_parser("baseline", help="re-execute notebooks/ and store their outputs as the nbval baseline (make baseline)",
                   description="re-execute notebooks/ and store their outputs as the nbval baseline")
    sub.add_parser("notebook-parameters",
                   help="rewrite each notebook's parameters cell and notebooks/README.md from the declarations in sections/",
                   description="rewrite each notebook's parameters cell, its construction cell and notebooks/README.md "
                               "from the parameters declared in src/baclofen_evidence/sections/")
    lb = sub.add_parser("lab", help="JupyterLab on 127.0.0.1 with a token, on working copies of notebooks/ in .lab/ (make lab)",
                        description="JupyterLab on 127.0.0.1 with a token, on working copies of notebooks/ in .lab/notebooks "
                                    "(notebooks/ is the nbval baseline and stays untouched)")
    lb.add_argument("--port", type=int, help="port (default: $PORT, else the first free one from 8888)")
    lb.add_argument("--token", help="access token (default: $LAB_TOKEN, else a random one, printed)")

    ri = add("reference-inputs", "write the analysis inputs that R metafor and rpact are checked on (make reference)", formats=False)
    ri.add_argument("--out", default=str(config.METAFOR_REFERENCE.parent / "inputs"), help="output directory")
    return parser


def version_text() -> str:
    """The code's version and the version of the data package in data/ (read without checking it)."""
    import json
    from importlib import metadata

    from baclofen_evidence.page_identity import data_version

    try:
        code = metadata.version("baclofen-evidence")
    except metadata.PackageNotFoundError:
        code = "unknown"
    try:
        descriptor = json.loads((config.DATA_DIR / config.DATAPACKAGE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        descriptor = None
    data = data_version(descriptor) if isinstance(descriptor, dict) else "unreadable"
    return f"baclofen-evidence {code} (data package {data})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # a wrong command line exits here with status 2 (argparse)
    try:
        return COMMANDS[args.command](args)
    except DataError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in the data package; run `baclofen-evidence validate` for the full list",
              file=sys.stderr)
        return DATA_EXIT
    except DataNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return DATA_EXIT
    except (UsageError, ParameterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_EXIT
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: a bug must still not greet the user with a stack trace
        if os.environ.get("BACLOFEN_DEBUG"):
            raise
        print(f"error: unexpected failure in {args.command} ({type(exc).__name__}: {exc}); this is a bug: please report it "
              f"with the command you ran (set BACLOFEN_DEBUG=1 to see the trace)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
