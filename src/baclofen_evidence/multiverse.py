"""Multiverse (specification-curve) meta-analysis: every defensible analysis of the question at once
(Voracek, Kossmeier & Tran 2019; Simonsohn, Simmons & Nelson 2020).

The grid crosses five choices:

* which trials: all; double-blind only; at least 12 weeks; without derived numbers; without converted
  results; each trial left out in turn;
* which outcome: the overview synthesis (each trial's primary drinking outcome), abstinence, % days
  abstinent, % heavy drinking days;
* estimator: FE, DL, REML or PM;
* HKSJ: with or without the Hartung-Knapp-Sidik-Jonkman interval;
* dose band: all arms, low (≤ 80 mg/day) or high (> 80 mg/day).

Every specification is one call of meta_analysis.run() with those settings (the per-trial rows are
built once per outcome and dose band and reused), its trials then pooled by pooling.pool() with each
estimator. A combination is dropped, with the reason counted, when it cannot be estimated (fewer than
two trials left) or when its trials are exactly those of an earlier specification (a filter that
removes nothing, or a left-out trial that is not in that analysis): a duplicate would count one
analysis twice.

One scale for all outcomes: the standardised mean difference, positive favouring baclofen. The
overview and the continuous outcomes are pooled as SMD (Hedges' g); abstinence is pooled as a log
odds ratio and put on the SMD scale by Chinn's factor √3/π (2000). The factor is a constant, so
pooling then converting equals converting then pooling, CIs and p-values included. Outcomes where
lower is better (% heavy drinking days) change sign.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from baclofen_evidence import domain
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.pooling import pool
from baclofen_evidence import formatting as fmt

DOSE_THRESHOLD = domain.DEFAULT_DOSE_THRESHOLD_MG_DAY
CHINN = math.sqrt(3) / math.pi
OUTCOMES = {  # outcome -> measure it is pooled on
    meta.OVERVIEW: "SMD",
    "abstinence": "OR",
    "pct_days_abstinent": "SMD",
    "pct_heavy_drinking_days": "SMD",
}
OUTCOME_LABELS = {meta.OVERVIEW: "overview (primary drinking outcome)", "abstinence": "abstinence",
                  "pct_days_abstinent": "% days abstinent", "pct_heavy_drinking_days": "% heavy drinking days"}
ESTIMATORS = ("FE", "DL", "REML", "PM")
HKSJ = (False, True)
DOSE_BANDS = {"all": {}, **{b: meta.dose_limits(b, DOSE_THRESHOLD) for b in ("low", "high")}}
DOSE_LABELS = {"all": "all doses", "low": f"≤ {fmt.dose(DOSE_THRESHOLD)}", "high": f"> {fmt.dose(DOSE_THRESHOLD)}"}
FILTERS = {  # trial sets other than leave-one-out: name -> run() settings
    "all trials": {},
    "double-blind only": {"double_blind_only": True},
    "at least 12 weeks": {"min_duration_weeks": 12},
    "without derived numbers": {"drop_derived": True},
    "without converted results": {"drop_converted": True},
}
DIMENSIONS = ("trials", "outcome", "estimator", "hksj", "dose")
DEFAULT = {"trials": "all trials", "outcome": meta.OVERVIEW, "estimator": "REML", "hksj": False, "dose": "all"}
LEVEL = 0.95


@dataclass
class Multiverse:
    specs: pd.DataFrame  # one row per estimable, distinct specification
    dropped: pd.DataFrame  # one row per combination dropped, with the reason
    grid_size: int
    trials_left_out: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.specs)

    def drop_reasons(self) -> pd.DataFrame:
        if self.dropped.empty:
            return pd.DataFrame(columns=["reason", "specifications"])
        counts = self.dropped.groupby("reason_kind", sort=False).size().rename("specifications").reset_index()
        return counts.rename(columns={"reason_kind": "reason"})

    def summary(self) -> dict:
        s = self.specs
        return {
            "grid": self.grid_size, "dropped": len(self.dropped), "specifications": self.n,
            "share_favouring_baclofen": float((s["estimate"] > 0).mean()) if self.n else None,
            "share_ci_excludes_null": float(s["ci_excludes_null"].mean()) if self.n else None,
            "share_ci_excludes_null_favouring": float((s["ci_excludes_null"] & (s["estimate"] > 0)).mean()) if self.n else None,
            "median_estimate": float(s["estimate"].median()) if self.n else None,
            "min_estimate": float(s["estimate"].min()) if self.n else None,
            "max_estimate": float(s["estimate"].max()) if self.n else None,
        }


def _oriented(outcome: str, measure: str, better: str) -> float:
    factor = CHINN if measure == "OR" else 1.0
    return factor * (-1.0 if better == "lower" else 1.0)


def build(ev: Evidence, outcomes: dict[str, str] | None = None, estimators=ESTIMATORS, hksj=HKSJ,
          dose_bands=tuple(DOSE_BANDS), cache: dict | None = None) -> Multiverse:
    """Every specification of the grid, pooled; impossible and duplicate combinations dropped, with why.
    ``cache``: meta_analysis.run()'s row cache, shared with the caller's other analyses of ``ev``."""
    outcomes = outcomes or OUTCOMES
    cache = {} if cache is None else cache
    defs = meta.analysis_outcomes(ev.descriptor)
    bases = {(o, d): meta.run(ev, o, m, **DOSE_BANDS[d], cache=cache) for o, m in outcomes.items() for d in dose_bands}
    left_out = sorted({sid for ma in bases.values() for sid in ma.studies.get("study_id", [])},
                      key=lambda sid: (ev.studies.set_index("study_id").loc[sid, "year"], sid))
    trial_sets = list(FILTERS.items()) + [(f"without {sid}", {"exclude": [sid]}) for sid in left_out]
    rows, dropped = [], []
    methods = [(e, h) for e in estimators for h in hksj]
    for outcome, measure in outcomes.items():
        sign = _oriented(outcome, measure, defs[outcome]["better"])
        for dose in dose_bands:
            seen: dict[tuple, str] = {}
            for name, settings in trial_sets:
                spec = {"trials": name, "outcome": outcome, "dose": dose}
                ma = meta.run(ev, outcome, measure, **DOSE_BANDS[dose], **settings, cache=cache)
                if ma.k < meta.MIN_STUDIES_TO_POOL:
                    reason = (f"{ma.k} trial{'s' if ma.k != 1 else ''} left: pooling needs at least {meta.MIN_STUDIES_TO_POOL}")
                    dropped += [{**spec, "estimator": e, "hksj": h, "reason_kind": "fewer than 2 trials", "reason": reason}
                                for e, h in methods]
                    continue
                key = tuple(sorted(zip(ma.studies["study_id"], ma.studies["dose_mg_day"])))
                if key in seen:
                    base = bases[(outcome, dose)].studies
                    if "exclude" in settings and (base.empty or settings["exclude"][0] not in set(base["study_id"])):
                        kind = "left-out trial not in this analysis"
                    elif seen[key] == "all trials":
                        kind = "filter removes no trial"
                    else:
                        kind = "same trials as another specification"
                    dropped += [{**spec, "estimator": e, "hksj": h, "reason_kind": kind,
                                 "reason": f"same trials as '{seen[key]}'"} for e, h in methods]
                    continue
                seen[key] = name
                yi, vi = ma.studies["yi"].to_numpy(float), ma.studies["vi"].to_numpy(float)
                trials = ";".join(dict.fromkeys(ma.studies["study_id"]))
                for e, h in methods:
                    r = pool(yi, vi, method=e, hksj=h, level=LEVEL)
                    lo, hi = sorted((sign * r.ci_low, sign * r.ci_high))
                    rows.append({**spec, "estimator": e, "hksj": h, "k": r.k, "estimate": sign * r.estimate,
                                 "ci_low": lo, "ci_high": hi, "p": r.p, "tau2": r.tau2 * sign**2, "i2": r.i2,
                                 "measure": measure, "trial_ids": trials,
                                 "participants": int(round(float(ma.studies["participants"].sum())))})
    specs = pd.DataFrame(rows)
    if not specs.empty:
        specs["ci_excludes_null"] = (specs["ci_low"] > 0) | (specs["ci_high"] < 0)
        specs["default"] = np.logical_and.reduce([specs[d] == v for d, v in DEFAULT.items()])
        specs = specs[["trials", "outcome", "estimator", "hksj", "dose", "k", "participants", "estimate", "ci_low", "ci_high",
                       "p", "ci_excludes_null", "tau2", "i2", "measure", "trial_ids", "default"]]
    grid = len(trial_sets) * len(outcomes) * len(methods) * len(dose_bands)
    return Multiverse(specs, pd.DataFrame(dropped), grid, left_out)


def choice_effects(mv: Multiverse) -> pd.DataFrame:
    """How much each single choice moves the answer, others held fixed.

    For each dimension: every pair of specifications that differ in that choice only; the mean
    absolute difference of their estimates (SMD), and the share of pairs where one CI excludes no
    effect and the other does not.
    """
    s = mv.specs
    rows = []
    for dim in DIMENSIONS:
        others = [d for d in DIMENSIONS if d != dim]
        diffs, flips, pairs = [], [], 0
        for _, group in s.groupby(others, sort=False):
            if len(group) < 2:
                continue
            est, sig = group["estimate"].to_numpy(), group["ci_excludes_null"].to_numpy()
            i, j = np.triu_indices(len(group), 1)
            diffs.append(np.abs(est[i] - est[j]))
            flips.append(sig[i] != sig[j])
            pairs += len(i)
        d = np.concatenate(diffs) if diffs else np.array([])
        f = np.concatenate(flips) if flips else np.array([], dtype=bool)
        rows.append({"choice": dim, "pairs": pairs, "mean_abs_shift": float(d.mean()) if pairs else np.nan,
                     "max_abs_shift": float(d.max()) if pairs else np.nan,
                     "share_verdict_flips": float(f.mean()) if pairs else np.nan})
    return pd.DataFrame(rows).sort_values("mean_abs_shift", ascending=False, kind="stable").reset_index(drop=True)


def level_shifts(mv: Multiverse) -> pd.DataFrame:
    """Each alternative against the default of its choice (all trials, overview, REML, no HKSJ, all
    doses), others held fixed: mean signed shift of the estimate and how often the verdict changes."""
    s = mv.specs
    rows = []
    for dim in DIMENSIONS:
        others = [d for d in DIMENSIONS if d != dim]
        base = s[s[dim] == DEFAULT[dim]].set_index(others)
        for level, part in s[s[dim] != DEFAULT[dim]].groupby(dim, sort=False):
            joined = part.set_index(others).join(base[["estimate", "ci_excludes_null"]].add_suffix("_default"), how="inner")
            if joined.empty:
                continue
            shift = joined["estimate"] - joined["estimate_default"]
            rows.append({"choice": dim, "level": str(level), "default": str(DEFAULT[dim]), "pairs": len(joined),
                         "mean_shift": float(shift.mean()), "mean_abs_shift": float(shift.abs().mean()),
                         "share_verdict_flips": float((joined["ci_excludes_null"] != joined["ci_excludes_null_default"]).mean())})
    out = pd.DataFrame(rows)
    return out.sort_values("mean_abs_shift", ascending=False, kind="stable").reset_index(drop=True) if not out.empty else out


def level_summary(mv: Multiverse) -> pd.DataFrame:
    """Per level of each choice: how many specifications, their median estimate, and the shares."""
    s = mv.specs
    rows = []
    for dim in DIMENSIONS:
        for level, part in s.groupby(dim, sort=False):
            rows.append({"choice": dim, "level": str(level), "specifications": len(part),
                         "median_estimate": float(part["estimate"].median()),
                         "share_favouring": float((part["estimate"] > 0).mean()),
                         "share_ci_excludes_null": float(part["ci_excludes_null"].mean())})
    return pd.DataFrame(rows)


def defaults_text() -> list[str]:
    return [
        "Trials: all; double-blind only; at least 12 weeks of treatment; without derived numbers (counts from a printed "
        "percentage); without converted results (any effect computed by a conversion); each trial left out in turn.",
        "Outcomes: the overview synthesis (each trial's primary drinking outcome as Hedges' g), abstinence (pooled as log odds "
        "ratio), % days abstinent and % heavy drinking days (both as SMD).",
        "Estimators: FE, DL, REML and PM, each with Wald-type (z) 95% CIs and with the Hartung-Knapp-Sidik-Jonkman interval "
        "(t with k-1 df).",
        f"Dose bands: all arms; low (≤ {fmt.dose(DOSE_THRESHOLD)}); high (> {fmt.dose(DOSE_THRESHOLD)}); multi-dose trials split by arm, "
        "control shared out.",
        "Common scale: SMD, positive favouring baclofen; abstinence log odds ratios × √3/π (Chinn 2000); % heavy drinking days "
        "sign-reversed (lower is better).",
        "Dropped: combinations with fewer than 2 trials left, and combinations whose trials equal those of an earlier "
        "specification (a filter that removes nothing, or a left-out trial not in that analysis).",
        "'Favours baclofen': estimate > 0. 'CI excludes no effect': the 95% CI lies entirely on one side of 0.",
        "Which choice moves the answer most: over all pairs of specifications that differ in that choice only, the mean "
        "absolute difference of the estimates, and the share of pairs whose CIs disagree on excluding no effect.",
    ]
