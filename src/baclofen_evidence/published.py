"""Published pooled estimates beside this project's, computed on the closest like-for-like analysis.

For each estimate in published_estimates.csv: this project's analysis of the same outcome on the
review's own measure, once over every trial with a usable result and once restricted to the trials
the review could have included (published by its search date); the difference; and its reasons,
spelt out: the trial set, the outcome definition, the measure, the model, the routes by which trials
entered here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence import formatting as fmt


@dataclass
class Comparison:
    estimate_id: str
    review: str
    outcome: str
    measure: str
    published: str
    cutoff_year: int | None
    cutoff_rule: str
    ours_all: str
    ours_restricted: str
    difference: str
    reasons: list[str]


def cutoff(review: pd.Series) -> tuple[int | None, str]:
    """The last publication year of a trial the review could include, and the rule that gave it."""
    if isinstance(review["search_date"], str) and review["search_date"][:4].isdigit():
        return int(review["search_date"][:4]), f"trials published up to {review['search_date'][:4]}, the year of its search"
    if not pd.isna(review["year"]):
        return int(review["year"]) - 1, f"trials published before {int(review['year'])} (its search date is not in the data)"
    return None, "no cutoff: neither search date nor year known"


def _pooled_text(ma: meta.MetaAnalysis | None) -> str:
    if ma is None or ma.result is None:
        return "not pooled" + (f" ({ma.reason_not_pooled})" if ma is not None and ma.reason_not_pooled else "")
    r = ma.result
    return f"{fmt.effect(None, ma.scale(r.estimate), ma.scale(r.ci_low), ma.scale(r.ci_high))}, k = {ma.k}"


def compare(ev: Evidence, run, method: str = "REML") -> list[Comparison]:
    """``run(outcome, measure, **settings)`` is the caller's analysis (so a report's own settings apply)."""
    reviews = ev.reviews.set_index("review_id")
    defs = meta.analysis_outcomes(ev.descriptor)
    out = []
    for pe in ev.published_estimates.itertuples():
        review = reviews.loc[pe.review_id]
        year, rule = cutoff(review)
        published = f"{fmt.as_printed(pe.estimate)} ({fmt.as_printed(pe.ci_low)} to {fmt.as_printed(pe.ci_high)})" + (f", k = {int(pe.k)}" if not pd.isna(pe.k) else "")
        reasons: list[str] = []
        ours_all = ours_restricted = None
        if pd.isna(pe.outcome_id) or pe.outcome_id not in defs:
            why = ("no comparable analysis here" if pd.isna(pe.outcome_id) else
                   f"{str(pe.outcome_id).replace('_', ' ')} is reported by trials only as study-level results, not pooled here")
            reasons.append(why)
        else:
            measure = "SMD" if defs[pe.outcome_id]["kind"] == "overview" else pe.measure
            try:
                ours_all = run(pe.outcome_id, measure)
                late = [] if year is None else list(ev.studies.loc[ev.studies["year"] > year, "study_id"])
                ours_restricted = run(pe.outcome_id, measure, exclude=sorted(set(late) | set(ours_all.excluded)))
            except ParameterError as exc:
                reasons.append(str(exc))
        diff = ""
        if ours_restricted is not None and ours_restricted.result is not None:
            r = ours_restricted.result
            if ours_restricted.ratio:
                diff = f"ours ÷ published = {fmt.number(math.exp(r.estimate) / pe.estimate)}"
            else:
                diff = f"ours − published = {fmt.signed(r.estimate - pe.estimate)}"
            reasons += _reasons(ours_restricted, pe, review)
        elif ours_restricted is not None:
            reasons.append(ours_restricted.reason_not_pooled or "not pooled")
        if isinstance(pe.subset, str) and pe.subset:
            reasons.append(f"the published figure covers a subset ({pe.subset}); ours does not")
        if isinstance(pe.note, str) and pe.note:
            reasons.append(pe.note)
        out.append(Comparison(pe.estimate_id, review["label"], pe.outcome, pe.measure, published, year, rule,
                              _pooled_text(ours_all), _pooled_text(ours_restricted), diff, reasons))
    return out


def _reasons(ma: meta.MetaAnalysis, pe, review: pd.Series) -> list[str]:
    reasons = []
    if not pd.isna(pe.k) and int(pe.k) != ma.k:
        reasons.append(f"trial set: {ma.k} here against {int(pe.k)} in the review")
    elif pd.isna(pe.k):
        reasons.append("trial set: the review's number of trials for this outcome is not in the data")
    if ma.kind == "overview":  # each trial's own primary outcome is the definition; stand-ins are the departure
        defs = ma.studies["source_outcome"].str.contains("not the primary", regex=False)
    else:
        defs = ma.studies["source_outcome"] != ma.outcome_id
    if defs.any():
        reasons.append("outcome definition: " + ", ".join(sorted(set(ma.studies.loc[defs, "label"]))) + " enter through another outcome "
                       "(" + "; ".join(sorted(set(ma.studies.loc[defs, "source_outcome"]))) + ")")
    routes = ma.studies["route"].value_counts()
    if routes.get("converted", 0) or routes.get("reported_estimate", 0):
        reasons.append(f"routes: {routes.get('converted', 0)} trial(s) enter through a conversion and "
                       f"{routes.get('reported_estimate', 0)} through their own estimate; reviews with full texts may use per-arm data")
    model = pe.model if isinstance(pe.model, str) and pe.model else "not stated"
    reasons.append(f"model: {meta.METHOD_NAMES[ma.method]} here; the review's: {model}")
    return reasons
