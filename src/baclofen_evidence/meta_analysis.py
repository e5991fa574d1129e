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
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError, require_number
from baclofen_evidence.effect_sizes import (
    BINARY_MEASURES, CONTINUOUS_MEASURES, MEASURE_NAMES, RATIO_MEASURES, ZERO_CELL_RULE, effects_for,
)
from baclofen_evidence.pooling import METHOD_NAMES, METHODS, PoolResult, pool, pool_mh
from baclofen_evidence.rules import outcome_definitions

DEFAULT_MEASURE = {"binary": "RR", "continuous": "MD"}
DEFAULT_METHOD = "REML"
MIN_STUDIES_TO_POOL = 2
MIN_STUDIES_FOR_EGGER = 10
COMPLEMENTS = {"relapse": "abstinence"}  # relapse = not abstinent, where only abstinence is reported


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
             "weight": s.weight}
            for s in self.studies.itertuples()
        ]
        return out


# ---------------------------------------------------------------- parameters


def check_parameters(ev: Evidence, outcome_id: str, measure: str | None, method: str, exclude: Iterable[str],
                     dose_min: float | None, dose_max: float | None, comparator: str,
                     min_duration_weeks: float | None = None) -> tuple[str, str]:
    """Validate analysis parameters against the data; return (kind, measure). Errors name the parameter."""
    defs = outcome_definitions(ev.descriptor)
    if outcome_id not in defs:
        raise ParameterError(f"outcome: {outcome_id!r} is not an outcome of this data package; choose one of {', '.join(defs)}")
    kind = defs[outcome_id]["kind"]
    measure = measure or DEFAULT_MEASURE[kind]
    allowed = BINARY_MEASURES if kind == "binary" else CONTINUOUS_MEASURES
    if measure not in allowed:
        raise ParameterError(f"measure: {measure!r} does not fit the {kind} outcome {outcome_id}; choose one of {', '.join(allowed)}")
    if method not in METHODS:
        raise ParameterError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if method == "MH" and kind != "binary":
        raise ParameterError("method: Mantel-Haenszel pooling needs a binary outcome")
    if comparator not in comp.CONTROL_ROLES:
        raise ParameterError(f"comparator: {comparator!r} is not one of {', '.join(comp.CONTROL_ROLES)}")
    unknown = sorted(set(exclude) - set(ev.studies["study_id"]))
    if unknown:
        raise ParameterError(f"exclude: no such study: {', '.join(unknown)}")
    for name, value in (("dose_min", dose_min), ("dose_max", dose_max), ("min_duration_weeks", min_duration_weeks)):
        require_number(name, value)
    if dose_min is not None and dose_max is not None and dose_min > dose_max:
        raise ParameterError(f"dose_min ({dose_min}) is above dose_max ({dose_max})")
    return kind, measure


# ---------------------------------------------------------------- the analysis


def comparisons_for(ev: Evidence, outcome_id: str, comparator: str, mode: str) -> pd.DataFrame:
    """Comparisons for an outcome; relapse falls back on the complement of abstinence where needed."""
    frame = comp.build(ev, outcome_id, comparator, mode)
    if not frame.empty:
        frame["source_outcome"] = outcome_id
    base = COMPLEMENTS.get(outcome_id)
    if base:
        extra = comp.build(ev, base, comparator, mode)
        if not extra.empty:
            extra = extra[~extra["study_id"].isin(frame["study_id"] if not frame.empty else [])].copy()
            extra["ai"], extra["ci"] = extra["n1i"] - extra["ai"], extra["n2i"] - extra["ci"]
            extra["source_outcome"] = f"{base} (complement)"
            frame = pd.concat([frame, extra], ignore_index=True) if not frame.empty else extra.reset_index(drop=True)
            frame = frame.sort_values(["year", "study_id", "dose_mg_day"], kind="stable").reset_index(drop=True)
    return frame


def run(ev: Evidence, outcome_id: str, measure: str | None = None, method: str = DEFAULT_METHOD, hksj: bool = False,
        exclude: Iterable[str] = (), dose_min: float | None = None, dose_max: float | None = None,
        comparator: str = "placebo", mode: str | None = None, min_duration_weeks: float | None = None,
        dose_above: float | None = None) -> MetaAnalysis:
    if isinstance(exclude, str):
        raise ParameterError(f"exclude: expected a list of study ids, got the string {exclude!r}")
    exclude = sorted(set(exclude))
    kind, measure = check_parameters(ev, outcome_id, measure, method, exclude, dose_min, dose_max, comparator, min_duration_weeks)
    if method == "MH" and measure not in BINARY_MEASURES:
        raise ParameterError("method: Mantel-Haenszel pooling needs RR, OR or RD")
    # Dose limits select arms, so multi-dose trials are split into one comparison per dose.
    require_number("dose_above", dose_above)
    mode = mode or ("split" if dose_min is not None or dose_max is not None or dose_above is not None else "combined")
    frame = comparisons_for(ev, outcome_id, comparator, mode)
    defs = outcome_definitions(ev.descriptor)[outcome_id]
    ma = MetaAnalysis(outcome_id, defs["label"], kind, defs["better"], measure, method, hksj, comparator, exclude,
                      dose_min, dose_max, min_duration_weeks, mode, frame, None, dose_above=dose_above)
    if frame.empty:
        ma.reason_not_pooled = f"no study reports {outcome_id} for baclofen against {comparator}"
        ma.studies = frame
        return ma
    frame = frame[~frame["study_id"].isin(exclude)]
    if dose_min is not None:
        frame = frame[frame["dose_mg_day"] >= dose_min]
    if dose_max is not None:
        frame = frame[frame["dose_mg_day"] <= dose_max]
    if dose_above is not None:
        frame = frame[frame["dose_mg_day"] > dose_above]
    if min_duration_weeks is not None:
        frame = frame[frame["duration_weeks"] >= min_duration_weeks]
    if frame.empty:
        ma.studies = frame
        ma.reason_not_pooled = f"no comparison of {outcome_id} is left after the exclusions and dose or duration limits"
        return ma
    frame = effects_for(frame.reset_index(drop=True), kind, measure)
    ma.dropped = frame[frame["dropped"].notna()].reset_index(drop=True)
    frame = frame[frame["dropped"].isna()].reset_index(drop=True)
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
    return f"> {threshold:g} mg/day" if dose > threshold else f"≤ {threshold:g} mg/day"


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
    for band in (f"≤ {threshold:g} mg/day", f"> {threshold:g} mg/day"):
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
        "Numbers are checked against R metafor 3.8 to 1e-6 (tests/test_metafor_reference.py).",
    ]
    return lines
