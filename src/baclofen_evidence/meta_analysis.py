"""A meta-analysis of one outcome: choose comparisons, compute effects, pool, and the sensitivity views.

Defaults, stated in every report (see ``defaults_text``): effect measure RR for binary outcomes and MD
for continuous ones; random effects with the REML τ² estimator; Wald-type (z) 95% CIs unless the
Hartung-Knapp-Sidik-Jonkman adjustment is asked for; 95% prediction interval; zero cells as in
effect_sizes.ZERO_CELL_RULE; placebo as comparator; multi-dose trials merged into one baclofen group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from baclofen_evidence import comparisons as comp
from baclofen_evidence import conversions as cv
from baclofen_evidence import domain
from baclofen_evidence import study_results
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError, did_you_mean, require_number
from baclofen_evidence.effect_sizes import (
    BINARY_MEASURES, CONTINUOUS_MEASURES, MEASURE_NAMES, RATIO_MEASURES, ZERO_CELL_RULE, effects_for,
)
from baclofen_evidence.pooling import METHOD_NAMES, METHODS, PoolResult, pool, pool_mh
from baclofen_evidence.pooling import RANDOM as RANDOM_METHODS
from baclofen_evidence.rules import outcome_definitions
from baclofen_evidence import formatting as fmt

DEFAULT_MEASURE = {"binary": "RR", "continuous": "MD"}
DEFAULT_METHOD = "REML"
MIN_STUDIES_TO_POOL = 2
MIN_STUDIES_FOR_EGGER = 10
FEW_TRIALS = 10  # below this, headlines add the HKSJ interval (Cochrane Handbook 10.10.4.2; IntHout et al. 2014)
COMPLEMENTS = {"relapse": "abstinence"}  # relapse = not abstinent, where only abstinence is reported
# % days abstinent, where only cumulative abstinent days over the window are reported.
WINDOW_SHARES = {"pct_days_abstinent": "cumulative_abstinence_days"}
OVERVIEW = "primary_drinking"
OVERVIEW_DEFINITION = {
    "kind": "overview", "better": "higher", "label": "Primary drinking outcome (standardised)",
    "description": "each placebo-controlled trial's primary drinking outcome as a standardised mean difference, positive favouring baclofen",
}
# When a trial's primary drinking outcome has no reachable number, the first of these that has one
# stands in (flagged); the order puts abstinence outcomes before consumption ones, as Bschor 2018 did.
OVERVIEW_FALLBACKS = ("abstinence", "relapse", "heavy_relapse", "time_to_lapse", "time_to_relapse", "pct_days_abstinent",
                      "cumulative_abstinence_days", "pct_heavy_drinking_days", "drinks_per_day", "drinks_per_drinking_day",
                      "alcohol_g_per_day", "responder")


def analysis_outcomes(descriptor: dict) -> dict[str, dict]:
    """Every outcome an analysis can be run on: the package's binary and continuous outcomes, and the
    overview synthesis. Time-to-event outcomes are study-level only: they enter through the overview."""
    defs = {k: v for k, v in outcome_definitions(descriptor).items() if v["kind"] in ("binary", "continuous")}
    defs[OVERVIEW] = OVERVIEW_DEFINITION
    return defs


@dataclass
class MetaAnalysis:
    outcome_id: str
    outcome_label: str
    kind: str
    better: str
    measure: str
    method: str
    hksj: bool
    comparator: str
    excluded: list[str]
    dose_min: float | None
    dose_max: float | None
    min_duration_weeks: float | None
    mode: str
    studies: pd.DataFrame  # one row per comparison, with yi, vi, ci and weight
    result: PoolResult | None
    reason_not_pooled: str | None = None
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    dose_above: float | None = None
    not_used: dict = field(default_factory=dict)  # study id -> why its study-level result could not enter
    filtered_out: pd.DataFrame = field(default_factory=pd.DataFrame)  # left out by the settings
    sensitivity: dict = field(default_factory=dict)
    eligible_studies: pd.DataFrame = field(default_factory=pd.DataFrame)  # studies.csv, for coverage

    @property
    def ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def k(self) -> int:
        return len(self.studies)

    @property
    def n_participants(self) -> int:
        return comp.participants(self.studies)

    def scale(self, x: float) -> float:
        """From the analysis scale to the reporting scale (exp for ratios)."""
        return math.exp(x) if self.ratio else x

    @property
    def null_value(self) -> float:
        return 1.0 if self.ratio else 0.0

    def model_name(self) -> str:
        name = f"{MEASURE_NAMES[self.measure]}, {METHOD_NAMES[self.method]}"
        return name + (", HKSJ-adjusted CI" if self.hksj else "")

    def favours(self) -> tuple[str, str]:
        """Labels for the left and right of a forest plot's axis."""
        comparator = "placebo" if self.comparator == "placebo" else "comparator"
        if self.better == "lower":
            return "Favours baclofen", f"Favours {comparator}"
        return f"Favours {comparator}", "Favours baclofen"

    def to_dict(self) -> dict:
        r = self.result
        out = {
            "outcome": self.outcome_id, "measure": self.measure, "method": self.method, "hksj": self.hksj,
            "comparator": self.comparator, "excluded": self.excluded, "dose_min": self.dose_min, "dose_max": self.dose_max,
            "dose_above": self.dose_above, "min_duration_weeks": self.min_duration_weeks,
            "k": self.k, "n_participants": self.n_participants,
        }
        keys = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")
        if r is None:
            out.update({key: None for key in keys + ("se", "p", "tau2", "tau", "i2", "h2", "q", "q_df", "q_p")})
            out["reason_not_pooled"] = self.reason_not_pooled
        else:
            out.update({key: getattr(r, key) for key in keys})
            out.update(se=r.se, p=r.p, tau2=r.tau2, tau=r.tau, i2=r.i2, h2=r.h2, q=r.q, q_df=r.q_df, q_p=r.q_p)
            if self.ratio:
                out.update({f"{key}_exp": math.exp(getattr(r, key)) for key in keys})
        out["scale"] = "log" if self.ratio else "natural"
        out["studies"] = [
            {"study_id": s.study_id, "comparison": f"{s.treatment} vs {s.control}", "yi": s.yi, "vi": s.vi,
             "weight": s.weight, "effect": self.scale(s.yi), "ci_low": self.scale(s.ci_low), "ci_high": self.scale(s.ci_high),
             "route": s.route, "conversion": s.conversion or None, "derived": bool(s.derived), "weak": bool(s.weak),
             "secondary": bool(s.secondary),
             "data_from": s.source_outcome}
            for s in self.studies.itertuples()
        ]
        from baclofen_evidence.coverage import coverage

        out["coverage"] = coverage(self).to_dict()
        return out


# ---------------------------------------------------------------- parameters


def dose_limits(dose_band: str, dose_threshold: float) -> dict[str, float | None]:
    """The arm filter of a dose band, the one meaning the reports, the CLI and the multiverse share:
    low = baclofen arms at or below the threshold, high = above it, all = every arm."""
    if dose_band not in domain.DOSE_BANDS:
        raise ParameterError(f"dose_band: {dose_band!r} is not one of {', '.join(domain.DOSE_BANDS)}")
    require_number("dose_threshold", dose_threshold, optional=False)
    return {"dose_max": dose_threshold if dose_band == "low" else None,
            "dose_above": dose_threshold if dose_band == "high" else None}


def check_parameters(ev: Evidence, outcome_id: str, measure: str | None, method: str, exclude: Iterable[str],
                     dose_min: float | None, dose_max: float | None, comparator: str,
                     min_duration_weeks: float | None = None) -> tuple[str, str]:
    """Validate analysis parameters against the data; return (kind, measure). Errors name the parameter."""
    defs = analysis_outcomes(ev.descriptor)
    if outcome_id not in defs:
        raise ParameterError(f"outcome: {outcome_id!r} is not an outcome of this data package{did_you_mean(str(outcome_id), defs)}; "
                             f"choose one of {', '.join(defs)}")
    kind = defs[outcome_id]["kind"]
    if kind == "overview":
        if measure not in (None, "SMD"):
            raise ParameterError(f"measure: the overview synthesis {OVERVIEW} is a standardised mean difference; use SMD, not {measure!r}")
        measure = "SMD"
        allowed = ("SMD",)
    else:
        measure = measure or DEFAULT_MEASURE[kind]
        allowed = BINARY_MEASURES if kind == "binary" else CONTINUOUS_MEASURES
    if measure not in allowed:
        raise ParameterError(f"measure: {measure!r} does not fit the {kind} outcome {outcome_id}; choose one of {', '.join(allowed)}")
    if method not in METHODS:
        raise ParameterError(f"method: {method!r} is not one of {', '.join(METHODS)}{did_you_mean(str(method), METHODS)}")
    if method == "MH" and kind != "binary":
        raise ParameterError("method: Mantel-Haenszel pooling needs a binary outcome")
    if comparator not in comp.CONTROL_ROLES:
        raise ParameterError(f"comparator: {comparator!r} is not one of {', '.join(comp.CONTROL_ROLES)}")
    unknown = sorted(set(exclude) - set(ev.studies["study_id"]))
    if unknown:
        raise ParameterError("exclude: no such study: " + ", ".join(u + did_you_mean(u, ev.studies["study_id"]) for u in unknown)
                             + " (`baclofen-evidence studies` lists the study ids)")
    for name, value in (("dose_min", dose_min), ("dose_max", dose_max), ("min_duration_weeks", min_duration_weeks)):
        require_number(name, value)
    if dose_min is not None and dose_max is not None and dose_min > dose_max:
        raise ParameterError(f"dose_min ({dose_min}) is above dose_max ({dose_max})")
    return kind, measure


# ---------------------------------------------------------------- the comparisons


def comparisons_for(ev: Evidence, outcome_id: str, comparator: str, mode: str) -> pd.DataFrame:
    """Arm-level comparisons for an outcome. Relapse falls back on the complement of abstinence, and
    % days abstinent on cumulative abstinent days over the window, where only those are reported."""
    frame = comp.build(ev, outcome_id, comparator, mode)
    if not frame.empty:
        frame["source_outcome"] = outcome_id
    for base, convert in ((COMPLEMENTS.get(outcome_id), _complement), (WINDOW_SHARES.get(outcome_id), _window_share)):
        if not base:
            continue
        extra = comp.build(ev, base, comparator, mode)
        if extra.empty:
            continue
        extra = extra[~extra["study_id"].isin(frame["study_id"] if not frame.empty else [])].copy()
        if extra.empty:
            continue
        extra = convert(extra)
        frame = pd.concat([frame, extra], ignore_index=True) if not frame.empty else extra.reset_index(drop=True)
        frame = frame.sort_values(["year", "study_id", "dose_mg_day"], kind="stable").reset_index(drop=True)
    return frame


def _complement(extra: pd.DataFrame) -> pd.DataFrame:
    extra["ai"], extra["ci"] = extra["n1i"] - extra["ai"], extra["n2i"] - extra["ci"]
    extra["source_outcome"] = "abstinence (complement)"
    return extra


def _window_share(extra: pd.DataFrame) -> pd.DataFrame:
    days = extra["timepoint_weeks"] * 7
    for col in ("m1i", "sd1i", "m2i", "sd2i"):
        extra[col] = 100 * extra[col] / days
    extra["source_outcome"] = "cumulative abstinence days (% of window)"
    extra["conversion"] = [
        "; ".join(x for x in (c, f"% days abstinent = cumulative abstinent days / {fmt.as_printed(d)} days × 100, SDs alike ({cv.CITATIONS['window_to_percent']})") if x)
        for c, d in zip(extra["conversion"], days)]
    return extra


STUDY_COLUMNS = ["label", "year", "design", "country", "duration_weeks"]
ARM_COLUMNS = ["ai", "n1i", "ci", "n2i", "m1i", "sd1i", "m2i", "sd2i"]


def study_level_rows(ev: Evidence, outcome_id: str, target: str, comparator: str, mode: str,
                     skip: Iterable[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows for trials without arm-level data: their study-level result on the analysis's scale."""
    arms = ev.arms.set_index("arm_id")
    studies = ev.studies.set_index("study_id")
    found, why_not = study_results.candidates(ev, outcome_id, target)
    rows = []
    for sid, cand in found.items():
        if sid in set(skip):
            continue
        r = cand.row
        t_arms, c_arms = study_results.arm_list(r["treatment_arms"]), study_results.arm_list(r["control_arms"])
        known = [a for a in t_arms + c_arms if a in arms.index]
        if len(known) < len(t_arms + c_arms):
            why_not[sid] = f"{r['estimate_id']}: names an arm that is not in arms.csv"
            continue
        if any(arms.loc[a, "role"] != comp.CONTROL_ROLES[comparator] for a in c_arms):
            continue
        if mode == "split" and len(t_arms) > 1:
            why_not[sid] = f"{r['estimate_id']}: pools several baclofen arms, so it cannot be split by dose"
            continue
        study = studies.loc[sid]
        n1 = r["n_treatment"] if not pd.isna(r["n_treatment"]) else np.nan
        n2 = r["n_control"] if not pd.isna(r["n_control"]) else np.nan
        analysed = n1 + n2 if not (pd.isna(n1) or pd.isna(n2)) else r["n_analysed"]
        flags = []
        if pd.isna(analysed):
            arm_n = arms.loc[t_arms + c_arms, "n_randomized"]
            analysed = arm_n.sum() if arm_n.notna().all() else study["n_randomized"]
            flags.append("participants counted as randomized (the analysed n is not printed)")
        dose = float(arms.loc[t_arms, "dose_mg_day"].max())
        top_arm = pd.isna(study["dose_max_mg_day"]) or dose == float(study["dose_max_mg_day"])
        row = {"study_id": sid, **{c: study[c] for c in STUDY_COLUMNS},
               "timepoint_weeks": float(r["timepoint_weeks"]),
               "treatment": " + ".join(arms.loc[t_arms, "label"]), "control": " + ".join(arms.loc[c_arms, "label"]),
               "treatment_arms": ";".join(t_arms), "control_arm": ";".join(c_arms), "dose_mg_day": dose,
               "n_comparisons_in_study": 1,
               "dose_for_regression": float(comp.study_dose(study)) if top_arm else dose,
               "route": cand.route, "derived": r["value_status"] == "derived", "weak": cand.effect.weak,
               "secondary": bool(r["secondary"]), "conversion": "; ".join([cand.effect.route_text] + flags),
               "estimate_id": r["estimate_id"], "source_outcome": outcome_id, "yi": cand.effect.yi, "vi": cand.effect.vi,
               "n1i": n1, "n2i": n2, "participants": float(analysed), "population": r["population"],
               "escalc": cand.effect.escalc, "sign": cand.effect.sign,
               "dropped": None, "corrected": False}
        rows.append(row)
    return pd.DataFrame(rows), why_not


def arm_level_effects(ev: Evidence, outcome_id: str, kind: str, measure: str, comparator: str, mode: str) -> pd.DataFrame:
    frame = comparisons_for(ev, outcome_id, comparator, mode)
    if frame.empty:
        return frame
    frame = effects_for(frame.reset_index(drop=True), kind, measure)
    frame["participants"] = frame["n1i"] + frame["n2i"]
    frame["weak"] = False
    return frame


def overview_rows(ev: Evidence, comparator: str, mode: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Each trial's primary drinking outcome as Hedges' g, positive favouring baclofen (Bschor et al. 2018).

    Arm-level data first (continuous: Hedges' g; binary: log OR to SMD, Chinn 2000), then the trial's
    study-level result converted; where the primary outcome has no reachable number, the first of
    OVERVIEW_FALLBACKS that has one stands in, flagged.
    """
    defs = outcome_definitions(ev.descriptor)
    cache: dict[str, pd.DataFrame] = {}
    study_cache: dict[str, tuple[pd.DataFrame, dict[str, str]]] = {}
    rows, why_not = [], {}
    for study in ev.studies.itertuples():
        order = [o for o in ([study.primary_outcome_id] if isinstance(study.primary_outcome_id, str) else []) + list(OVERVIEW_FALLBACKS)]
        order = list(dict.fromkeys(order))
        for outcome in order:
            kind = defs[outcome]["kind"]
            row = None
            if kind in ("binary", "continuous"):
                if outcome not in cache:
                    cache[outcome] = arm_level_effects(ev, outcome, kind, "OR" if kind == "binary" else "SMD", comparator, mode)
                arm = cache[outcome]
                arm = arm[(arm["study_id"] == study.study_id) & arm["dropped"].isna()] if not arm.empty else arm
                if not arm.empty:
                    row = arm.copy()
                    sign = study_results.favourable_sign(defs[outcome]["better"], "log_or" if kind == "binary" else "g")
                    if kind == "binary":
                        d, vd = cv.log_or_to_d(row["yi"].to_numpy(), row["vi"].to_numpy())
                        row["yi"], row["vi"] = d, vd
                        step = f"{outcome.replace('_', ' ')} counts: log OR to SMD × √3/π ({cv.CITATIONS['or_to_d']})"
                        row["route"] = "converted"
                    else:
                        step = f"{outcome.replace('_', ' ')} means and SDs: Hedges' g"
                    row["yi"] = sign * row["yi"]
                    row["sign"] = sign
                    row["escalc"] = [{"measure": "OR2DL" if kind == "binary" else "SMD"}] * len(row)
                    row["conversion"] = [("; ".join(x for x in (c, step) if x)) for c in row["conversion"]]
            if row is None:
                if outcome not in study_cache:
                    study_cache[outcome] = study_level_rows(ev, outcome, "overview", comparator, mode, [])
                level, why = study_cache[outcome]
                if study.study_id in why:
                    why_not.setdefault(study.study_id, why[study.study_id])
                if not level.empty and study.study_id in set(level["study_id"]):
                    row = level[level["study_id"] == study.study_id]
            if row is not None:
                row = row.copy()
                row["source_outcome"] = outcome if outcome == study.primary_outcome_id else f"{outcome} (not the primary outcome)"
                row["fallback"] = outcome != study.primary_outcome_id
                rows.append(row)
                why_not.pop(study.study_id, None)
                break
    if not rows:
        return pd.DataFrame(), why_not
    frame = pd.concat(rows, ignore_index=True)
    return frame.sort_values(["year", "study_id", "dose_mg_day"], kind="stable").reset_index(drop=True), why_not


# ---------------------------------------------------------------- the analysis


def trial_rows(ev: Evidence, outcome_id: str, kind: str, measure: str, comparator: str, mode: str,
               arm_level_only: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every comparison with a usable result for an outcome, before any filter; and why others are out."""
    why_not: dict[str, str] = {}
    if kind == "overview":
        frame, why_not = overview_rows(ev, comparator, mode)
    else:
        frame = arm_level_effects(ev, outcome_id, kind, measure, comparator, mode)
        if not arm_level_only:
            have = set(frame["study_id"]) if not frame.empty else set()
            extra, why_not = study_level_rows(ev, outcome_id, measure, comparator, mode, have)
            if not extra.empty:
                frame = pd.concat([frame, extra], ignore_index=True) if not frame.empty else extra
                frame = frame.sort_values(["year", "study_id", "dose_mg_day"], kind="stable").reset_index(drop=True)
    for col in ARM_COLUMNS:  # study-level rows have no per-arm numbers; keep every column so tables read alike
        if not frame.empty and col not in frame:
            frame[col] = np.nan
    return frame, why_not


def run(ev: Evidence, outcome_id: str, measure: str | None = None, method: str = DEFAULT_METHOD, hksj: bool = False,
        exclude: Iterable[str] = (), dose_min: float | None = None, dose_max: float | None = None,
        comparator: str = "placebo", mode: str | None = None, min_duration_weeks: float | None = None,
        dose_above: float | None = None, drop_derived: bool = False, drop_weak: bool = False,
        arm_level_only: bool = False, drop_converted: bool = False, double_blind_only: bool = False,
        cache: dict | None = None) -> MetaAnalysis:
    """One outcome's meta-analysis: arm-level data where a trial has them, its study-level result
    (generic inverse variance) where it does not. ``drop_derived``, ``drop_weak`` and ``drop_converted``
    are the sensitivity analyses without derived counts, without weak conversions and without any
    converted result; ``double_blind_only`` keeps double-blind trials. ``cache`` (a dict the caller
    keeps) reuses the per-trial rows across calls that differ only in these filters, the pooling
    method or the exclusions: building the rows is the slow part, filtering them is not."""
    if isinstance(exclude, str):
        raise ParameterError(f"exclude: expected a list of study ids, got the string {exclude!r}")
    exclude = sorted(set(exclude))
    kind, measure = check_parameters(ev, outcome_id, measure, method, exclude, dose_min, dose_max, comparator, min_duration_weeks)
    if method == "MH" and measure not in BINARY_MEASURES:
        raise ParameterError("method: Mantel-Haenszel pooling needs RR, OR or RD")
    # Dose limits select arms, so multi-dose trials are split into one comparison per dose.
    require_number("dose_above", dose_above)
    mode = mode or ("split" if dose_min is not None or dose_max is not None or dose_above is not None else "combined")
    defs = analysis_outcomes(ev.descriptor)[outcome_id]
    key = (outcome_id, kind, measure, comparator, mode, arm_level_only)
    if cache is not None and key in cache:
        frame, why_not = cache[key][0].copy(), dict(cache[key][1])
    else:
        frame, why_not = trial_rows(ev, outcome_id, kind, measure, comparator, mode, arm_level_only)
        if cache is not None:
            cache[key] = (frame.copy(), dict(why_not))
    ma = MetaAnalysis(outcome_id, defs["label"], kind, defs["better"], measure, method, hksj, comparator, exclude,
                      dose_min, dose_max, min_duration_weeks, mode, frame, None, dose_above=dose_above)
    ma.not_used = why_not
    ma.eligible_studies = ev.studies
    ma.sensitivity = {"drop_derived": drop_derived, "drop_weak": drop_weak, "arm_level_only": arm_level_only,
                      "drop_converted": drop_converted, "double_blind_only": double_blind_only}
    if frame.empty:
        ma.reason_not_pooled = f"no study reports {outcome_id} for baclofen against {comparator}"
        return ma
    keep = ~frame["study_id"].isin(exclude)
    if dose_min is not None:
        keep &= frame["dose_mg_day"] >= dose_min
    if dose_max is not None:
        keep &= frame["dose_mg_day"] <= dose_max
    if dose_above is not None:
        keep &= frame["dose_mg_day"] > dose_above
    if min_duration_weeks is not None:
        keep &= frame["duration_weeks"] >= min_duration_weeks
    if drop_derived:
        keep &= ~frame["derived"].astype(bool)
    if drop_converted:
        keep &= frame["route"] != "converted"
    if double_blind_only:
        blinding = ev.studies.set_index("study_id")["blinding"]
        keep &= frame["study_id"].map(blinding).eq("double_blind").to_numpy()
    if drop_weak:
        keep &= ~frame["weak"].astype(bool)
        if "fallback" in frame:
            keep &= ~frame["fallback"].fillna(False).astype(bool)
    ma.filtered_out = frame[~keep].reset_index(drop=True)
    frame = frame[keep]
    if frame.empty:
        ma.studies = frame
        ma.reason_not_pooled = f"no comparison of {outcome_id} is left after the exclusions and dose or duration limits"
        return ma
    frame = frame.reset_index(drop=True)
    gone = frame["dropped"].notna()
    if method == "MH":
        no_counts = frame["route"] != "arm_level"
        frame.loc[no_counts & ~gone, "dropped"] = "study-level result: Mantel-Haenszel pools counts only"
        gone = frame["dropped"].notna()
    ma.dropped = frame[gone].reset_index(drop=True)
    frame = frame[~gone].reset_index(drop=True)
    crit = stats.norm.ppf(0.975)
    frame["ci_low"] = frame["yi"] - crit * np.sqrt(frame["vi"])
    frame["ci_high"] = frame["yi"] + crit * np.sqrt(frame["vi"])
    frame["weight"] = np.nan
    ma.studies = frame
    if len(frame) < MIN_STUDIES_TO_POOL:
        ma.reason_not_pooled = (f"pooling needs at least {MIN_STUDIES_TO_POOL} studies; "
                                f"{len(frame)} {'study reports' if len(frame) == 1 else 'studies report'} this outcome with these settings")
        return ma
    ma.result = _pool(frame, measure, method, hksj)
    ma.studies["weight"] = ma.result.weights
    return ma


def _pool(frame: pd.DataFrame, measure: str, method: str, hksj: bool) -> PoolResult:
    if method == "MH":
        return pool_mh(frame["ai"], frame["n1i"], frame["ci"], frame["n2i"], measure, frame["yi"], frame["vi"])
    return pool(frame["yi"], frame["vi"], method=method, hksj=hksj)


def rerun(ma: MetaAnalysis, frame: pd.DataFrame) -> PoolResult | None:
    if len(frame) < MIN_STUDIES_TO_POOL:
        return None
    return _pool(frame, ma.measure, ma.method, ma.hksj)


# ---------------------------------------------------------------- sensitivity and subgroups


def leave_one_out(ma: MetaAnalysis) -> pd.DataFrame:
    rows = []
    for sid in ma.studies["study_id"].unique():
        res = rerun(ma, ma.studies[ma.studies["study_id"] != sid])
        if res is not None:
            rows.append({"omitted": sid, "label": ma.studies.loc[ma.studies["study_id"] == sid, "label"].iloc[0],
                         "k": res.k, "estimate": ma.scale(res.estimate), "ci_low": ma.scale(res.ci_low),
                         "ci_high": ma.scale(res.ci_high), "tau2": res.tau2, "i2": res.i2})
    return pd.DataFrame(rows)


def cumulative(ma: MetaAnalysis) -> pd.DataFrame:
    """Pooled estimate as studies accrue in order of publication year."""
    order = ma.studies.sort_values(["year", "study_id"], kind="stable")
    rows = []
    seen: list[str] = []
    for sid in order["study_id"].unique():
        seen.append(sid)
        sub = order[order["study_id"].isin(seen)]
        res = rerun(ma, sub)
        last = sub[sub["study_id"] == sid].iloc[0]
        row = {"added": sid, "label": last["label"], "year": int(last["year"]), "k": sub["study_id"].nunique()}
        if res is None:
            est = sub.iloc[0]
            row.update(estimate=ma.scale(est["yi"]), ci_low=ma.scale(est["ci_low"]), ci_high=ma.scale(est["ci_high"]))
        else:
            row.update(estimate=ma.scale(res.estimate), ci_low=ma.scale(res.ci_low), ci_high=ma.scale(res.ci_high))
        rows.append(row)
    return pd.DataFrame(rows)


def dose_band(dose: float, threshold: float) -> str:
    return f"> {fmt.dose(threshold)}" if dose > threshold else f"≤ {fmt.dose(threshold)}"


@dataclass
class SubgroupAnalysis:
    threshold: float
    groups: pd.DataFrame  # one row per band: k, estimate, CI, tau2, I²
    q_between: float | None
    df_between: int
    p_between: float | None
    studies: pd.DataFrame  # split comparisons with their band


def subgroups_by_dose(ev: Evidence, ma: MetaAnalysis, threshold: float) -> SubgroupAnalysis:
    """Random-effects subgroups by dose band (arm target dose), with the test for subgroup differences.

    Multi-dose trials are split (each arm in its own band, control shared out); τ² is estimated
    within each subgroup, and the test compares subgroup estimates (Q_between, as RevMan does).
    """
    require_number("dose_threshold", threshold, optional=False)
    split = run(ev, ma.outcome_id, ma.measure, ma.method, ma.hksj, ma.excluded, ma.dose_min, ma.dose_max,
                ma.comparator, mode="split", min_duration_weeks=ma.min_duration_weeks, dose_above=ma.dose_above)
    frame = split.studies.copy()
    if frame.empty:
        return SubgroupAnalysis(threshold, pd.DataFrame(), None, 0, None, frame)
    frame["band"] = [dose_band(d, threshold) for d in frame["dose_mg_day"]]
    rows, est, var = [], [], []
    for band in (f"≤ {fmt.dose(threshold)}", f"> {fmt.dose(threshold)}"):
        sub = frame[frame["band"] == band]
        if sub.empty:
            continue
        res = rerun(ma, sub)
        row = {"band": band, "k": len(sub), "studies": sub["study_id"].nunique(), "participants": comp.participants(sub)}
        if res is None:
            s = sub.iloc[0]
            row.update(estimate=ma.scale(s["yi"]), ci_low=ma.scale(s["ci_low"]), ci_high=ma.scale(s["ci_high"]),
                       tau2=np.nan, i2=np.nan)
            est.append(s["yi"]), var.append(s["vi"])
        else:
            row.update(estimate=ma.scale(res.estimate), ci_low=ma.scale(res.ci_low), ci_high=ma.scale(res.ci_high),
                       tau2=res.tau2, i2=res.i2)
            est.append(res.estimate), var.append(res.se**2)
        rows.append(row)
    groups = pd.DataFrame(rows)
    if len(est) < 2:
        return SubgroupAnalysis(threshold, groups, None, 0, None, frame)
    w = 1 / np.asarray(var)
    mu = np.sum(w * np.asarray(est)) / np.sum(w)
    q = float(np.sum(w * (np.asarray(est) - mu) ** 2))
    df = len(est) - 1
    return SubgroupAnalysis(threshold, groups, q, df, float(stats.chi2.sf(q, df)), frame)


@dataclass
class EggerTest:
    k: int
    intercept: float | None = None
    se: float | None = None
    p: float | None = None
    reason: str | None = None


def egger(ma: MetaAnalysis) -> EggerTest:
    """Egger's regression test for funnel asymmetry, run only when k >= 10 (Cochrane Handbook 13.3.5.4)."""
    k = ma.k
    if k < MIN_STUDIES_FOR_EGGER:
        return EggerTest(k, reason=(f"not run: {k} studies; tests for funnel-plot asymmetry need at least "
                                    f"{MIN_STUDIES_FOR_EGGER} (Cochrane Handbook 13.3.5.4)"))
    import statsmodels.api as sm

    se = np.sqrt(ma.studies["vi"].to_numpy())
    fit = sm.WLS(ma.studies["yi"].to_numpy(), sm.add_constant(se), weights=1 / se**2).fit()
    return EggerTest(k, float(fit.params[0]), float(fit.bse[0]), float(fit.pvalues[0]))


def defaults_text(ma: MetaAnalysis | None = None) -> list[str]:
    """Every analysis default, as sentences for the report."""
    lines = [
        f"Effect measure: {ma.model_name() if ma else 'risk ratio (binary) or mean difference (continuous)'}; ratios are pooled on the log scale.",
        "Between-study variance (τ²): restricted maximum likelihood (REML) unless stated; DerSimonian-Laird and Paule-Mandel are available. τ² is never negative.",
        "Confidence intervals: 95%, Wald-type (normal) by default; with the Hartung-Knapp-Sidik-Jonkman adjustment they use a t distribution with k-1 df.",
        "Prediction interval: 95%, estimate ± z·sqrt(SE² + τ²) (t with k-1 df under HKSJ), as R metafor computes it.",
        "I² = τ²/(τ² + s²) under random effects (metafor's definition), (Q - df)/Q under fixed effect.",
        f"Zero cells: {ZERO_CELL_RULE}. Mantel-Haenszel pooling uses the raw counts.",
        "Comparator: placebo unless stated. Trials with several baclofen doses are merged into one baclofen group; dose subgroups split them, sharing the control group out evenly.",
        "Time point: each trial's latest reported time point (end of treatment).",
        "Routes: per-arm counts or means where a trial printed them; otherwise the trial's own estimate on this measure "
        "(generic inverse variance, Cochrane Handbook 10.3), else a conversion with its route shown per trial: SE from a CI or an "
        "exact p (Handbook 6.3), d from t, or F and chi-square with 1 df, and the group sizes (Borenstein et al. 2009, ch. 7), "
        "ln OR and SMD via √3/π (Chinn 2000), OR to RR with the control risk (Zhang & Yu 1998), SD = SE·√n (Handbook 6.5.2.2).",
        "A p-value printed only as a bound (p < 0.05) never yields an effect size. Subgroup results never stand for a trial.",
        "Among several results of one trial: non-weak before weak, primary pages before secondary ones, ITT first, the latest "
        "time point, an estimate before a bare statistic.",
        "Flags, each with a sensitivity analysis that drops it: derived counts (events from a printed percentage and denominator), "
        "weak conversions (equal group sizes assumed, a z from a p alone, a hazard ratio read as an odds ratio).",
        "Overview synthesis (primary_drinking): each trial's primary drinking outcome as Hedges' g, positive favouring baclofen "
        "(Bschor et al. 2018); where it has no reachable number, the first reachable of abstinence, relapse, time to lapse or "
        "relapse, % days abstinent, % heavy drinking days, drinks per day, responder stands in, flagged.",
        f"Coverage: participants pooled against everyone randomized in the RCTs of baclofen for alcohol dependence in the data "
        f"package with this comparator. Headlines give the prediction interval, add the HKSJ interval when k < {FEW_TRIALS}, "
        "and say so in words when less than half of the randomized participants are pooled.",
        "Numbers are checked against R metafor 3.8 to 1e-6, pooled results and conversions alike (tests/test_metafor_reference.py).",
    ]
    return lines
