"""The facts behind the findings page: each main question answered as numbers, never as text.

The page (sections/findings.py) turns these facts into sentences; every number it prints, and every
word that depends on a number ("favours", "includes no effect"), comes from here. Each analysis is
the one its own report shows, computed once: the syntheses and their TSAs through claims.outcome_evidence
(memoised per package, so the claims verdicts reuse them), the multiverse as robustness builds it, the
dose-response as dose_response builds it, the costs from costs.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from baclofen_evidence import claims as claim_checks
from baclofen_evidence import costs
from baclofen_evidence import coverage as cov
from baclofen_evidence import dose_response as dr
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import multiverse as mvm
from baclofen_evidence import source_ids
from baclofen_evidence.datapackage import Evidence

# The syntheses the page leads with, in the order a reader asks: the overview first, then the outcomes
# patients and clinicians name (staying off alcohol, returning to it, staying in treatment).
MAIN_OUTCOMES = (meta.OVERVIEW, "abstinence", "relapse", "dropout")
DOSE_OUTCOME = "abstinence"  # the outcome dose_response reports by default
WRONG_VERDICTS = ("inconsistent", "overstated")  # contradicted by the data, or going beyond them
FULL_TEXT_KINDS = ("full_text",)  # a trial's numbers read from the paper itself


@dataclass
class MissingTrial:
    study_id: str
    label: str
    randomized: int | None
    reason: str


@dataclass
class Synthesis:
    """One pooled result on its reporting scale (ratios exponentiated), with what it rests on."""

    outcome_id: str
    label: str
    measure: str
    ratio: bool
    better: str  # "higher" or "lower": which side favours baclofen
    pooled: bool
    reason_not_pooled: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    pi_low: float | None
    pi_high: float | None
    p: float | None
    i2: float | None
    hksj_low: float | None  # the HKSJ interval, computed when trials are few (k < meta.FEW_TRIALS)
    hksj_high: float | None
    coverage: cov.Coverage
    missing: list[MissingTrial]
    tsa_verdict: str | None
    tsa_fraction: float | None
    tsa_approximate: bool
    tsa_missing: str | None

    @property
    def null(self) -> float:
        return 1.0 if self.ratio else 0.0

    def favours(self, value: float | None = None) -> str | None:
        """'baclofen', 'placebo' or None (exactly no effect) for the estimate, or for `value`."""
        value = self.estimate if value is None else value
        if value is None or value == self.null:
            return None
        return "baclofen" if (value > self.null) == (self.better == "higher") else "placebo"

    @staticmethod
    def _excludes(low: float | None, high: float | None, null: float) -> bool | None:
        if low is None or high is None:
            return None
        return not (low <= null <= high)

    @property
    def ci_excludes_null(self) -> bool | None:
        return self._excludes(self.ci_low, self.ci_high, self.null)

    @property
    def pi_excludes_null(self) -> bool | None:
        return self._excludes(self.pi_low, self.pi_high, self.null)

    @property
    def hksj_excludes_null(self) -> bool | None:
        return self._excludes(self.hksj_low, self.hksj_high, self.null)


@dataclass
class Robustness:
    specifications: int
    share_favouring: float | None
    share_significant_favouring: float | None
    median_smd: float | None
    top_choice: str | None  # the choice that moves the answer most


@dataclass
class DoseFacts:
    outcome_label: str
    measure: str
    comparisons: int | None
    ratio_per_100mg: float | None  # the effect multiplied (ratios) or shifted (differences) per 100 mg/day
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    slope_p: float | None
    permutation_p: float | None
    reason: str | None
    threshold: float
    low: dict | None  # subgroup at or below the threshold: estimate, ci_low, ci_high, studies, participants
    high: dict | None
    p_between: float | None
    multi_dose_trials: int
    multi_dose_with_contrast: int


@dataclass
class CostFacts:
    currency: str
    prices: int
    rct_low: float | None  # cheapest drug cost per patient among the placebo-controlled RCTs
    rct_low_trial: str | None
    rct_low_source: str | None
    rct_high: float | None
    rct_high_trial: str | None
    rct_high_source: str | None
    budgets: pd.DataFrame  # costs.budgets_per_patient, one row per trial (its whole budget before a grant award),
    # with the trial's drug-cost range beside it (drug_cost_low, drug_cost_high)
    not_converted: list[str] = field(default_factory=list)


@dataclass
class SourceVerdicts:
    source_id: str
    name: str  # outlet and title
    counts: dict[str, int]  # verdict -> claims, in claims.VERDICTS order, zeros left out

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class WrongClaim:
    source_id: str
    source_name: str
    claim: str
    verdict: str
    evidence: str


@dataclass
class Limits:
    reference_trials: int
    not_from_full_text: list[tuple[str, str, str]]  # (study_id, label, kinds of the pages its numbers come from)


@dataclass
class Findings:
    syntheses: list[Synthesis]
    robustness: Robustness
    dose: DoseFacts
    cost: CostFacts
    sources: list[SourceVerdicts]
    wrong: list[WrongClaim]
    limits: Limits


# ---------------------------------------------------------------- the answers


def _scaled(ma: meta.MetaAnalysis, x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else ma.scale(x)


def missing_trials(ma: meta.MetaAnalysis) -> list[MissingTrial]:
    """The trials of the reference set (placebo-controlled RCTs) that this pooled number leaves out, and why."""
    ref = set(cov.reference_set(ma.eligible_studies, ma.comparator)["study_id"])
    out = []
    for _, r in cov.flow(ma).iterrows():
        if r["study_id"] in ref and r["Status"] != "in this analysis":
            n = r["Randomized"]
            out.append(MissingTrial(r["study_id"], r["Trial"], None if pd.isna(n) else int(n), r["Route or reason"]))
    return out


def synthesis(ev: Evidence, outcome_id: str) -> Synthesis:
    o = claim_checks.outcome_evidence(ev, outcome_id)
    ma, r = o.ma, o.ma.result
    hksj = None
    if r is not None and ma.k < meta.FEW_TRIALS and not ma.hksj and ma.method != "MH":
        hksj = meta.rerun(meta.MetaAnalysis(**{**ma.__dict__, "hksj": True}), ma.studies)
    random = r is not None and r.method in meta.RANDOM_METHODS
    return Synthesis(
        outcome_id, ma.outcome_label, "SMD" if ma.kind == "overview" else ma.measure, ma.ratio, ma.better, r is not None,
        ma.reason_not_pooled,
        _scaled(ma, r.estimate) if r else None, _scaled(ma, r.ci_low) if r else None, _scaled(ma, r.ci_high) if r else None,
        _scaled(ma, r.pi_low) if random else None, _scaled(ma, r.pi_high) if random else None,
        float(r.p) if r else None, float(r.i2) if r else None,
        _scaled(ma, hksj.ci_low) if hksj else None, _scaled(ma, hksj.ci_high) if hksj else None,
        o.coverage, missing_trials(ma),
        o.tsa.verdict if o.tsa else None, o.tsa.fraction if o.tsa else None, bool(o.tsa and o.tsa.approximate), o.tsa_missing,
    )


def robustness(ev: Evidence) -> Robustness:
    """The multiverse exactly as the robustness report builds it, so the two pages quote the same shares."""
    mv = mvm.build(ev)
    s = mv.summary()
    top = mvm.choice_effects(mv).iloc[0]["choice"] if mv.n else None
    return Robustness(s["specifications"], s["share_favouring_baclofen"], s["share_ci_excludes_null_favouring"],
                      s["median_estimate"], top)


def dose(ev: Evidence, threshold: float) -> DoseFacts:
    result = dr.dose_response(ev, DOSE_OUTCOME)
    ma, fit = result.analysis, result.fit
    per_100 = (lambda x: ma.scale(100 * x)) if fit is not None else None
    groups = meta.subgroups_by_dose(ev, meta.run(ev, DOSE_OUTCOME), threshold)
    bands = {}
    for g in groups.groups.itertuples() if not groups.groups.empty else ():
        side = "high" if g.band.startswith(">") else "low"
        bands[side] = {"estimate": g.estimate, "ci_low": g.ci_low, "ci_high": g.ci_high, "studies": int(g.studies),
                       "participants": int(round(g.participants))}
    contrasts = dr.within_trial_contrasts(ev)
    with_data = contrasts.dropna(subset=["high_vs_low"])["study_id"].nunique() if not contrasts.empty else 0
    return DoseFacts(
        ma.outcome_label, ma.measure, len(ma.studies) if fit is not None else None,
        per_100(fit.slope) if fit else None, per_100(fit.slope_ci_low) if fit else None, per_100(fit.slope_ci_high) if fit else None,
        fit.slope_p if fit else None, result.permutation_p, result.reason, threshold, bands.get("low"), bands.get("high"),
        groups.p_between, contrasts["study_id"].nunique() if not contrasts.empty else 0, int(with_data))


def cost(ev: Evidence, currency: str) -> CostFacts:
    table = costs.cost_per_patient(ev, currency)
    rcts = set(cov.reference_set(ev.studies, "placebo")["study_id"])
    drug = table[table["study_id"].isin(rcts)].dropna(subset=["drug_cost_low"])
    low = drug.loc[drug["drug_cost_low"].idxmin()] if not drug.empty else None
    high = drug.loc[drug["drug_cost_high"].idxmax()] if not drug.empty else None
    budgets = costs.budgets_per_patient(ev, currency)
    if not budgets.empty:
        budgets = budgets.assign(rank=(budgets["basis"] != "trial budget").astype(int))
        budgets = budgets.sort_values(["rank", "study_id"], kind="stable").drop_duplicates("study_id").drop(columns="rank")
        budgets = budgets.merge(table[["study_id", "drug_cost_low", "drug_cost_high"]], on="study_id", how="left")
    return CostFacts(
        currency, len(costs.drug_prices(ev)),
        None if low is None else float(low["drug_cost_low"]), None if low is None else low["label"],
        None if low is None else low["drug_cost_low_source"],
        None if high is None else float(high["drug_cost_high"]), None if high is None else high["label"],
        None if high is None else high["drug_cost_high_source"],
        budgets.reset_index(drop=True), [n for n in table["notes"].dropna()])


def verdicts(ev: Evidence) -> tuple[list[SourceVerdicts], list[WrongClaim]]:
    v = claim_checks.verdicts(ev)
    names = source_ids.labels(ev.sources)
    per_source = []
    for sid in ev.sources["source_id"]:
        counts = v[v["source_id"] == sid]["verdict"].value_counts()
        per_source.append(SourceVerdicts(sid, names[sid], {k: int(counts[k]) for k in claim_checks.VERDICTS if k in counts}))
    wrong = v[v["verdict"].isin(WRONG_VERDICTS)]
    # Contradicted claims first, then overstated ones; within each, in the sources' order.
    wrong = wrong.assign(rank=wrong["verdict"].map(WRONG_VERDICTS.index)).sort_values(["rank", "source_id"], kind="stable")
    return per_source, [WrongClaim(r.source_id, names[r.source_id], r.claim, r.verdict, r.evidence) for r in wrong.itertuples()]


def limits(ev: Evidence) -> Limits:
    """Which placebo-controlled trials were read only from abstracts, registries or secondary pages: the kinds
    of the references carrying their numbers (result rows, else the study row) include no full text."""
    kinds = ev.references.set_index("ref_id")["kind"]
    ref = cov.reference_set(ev.studies, "placebo")
    results = pd.concat([ev.outcomes[["study_id", "ref_id"]], ev.estimates[["study_id", "ref_id"]]])
    out = []
    for s in ref.itertuples():
        refs = list(dict.fromkeys(results.loc[results["study_id"] == s.study_id, "ref_id"])) or [s.ref_id]
        found = [kinds.get(r, "unknown") for r in refs]
        if not any(k in FULL_TEXT_KINDS for k in found):
            out.append((s.study_id, s.label, ", ".join(dict.fromkeys(found))))
    return Limits(len(ref), out)


def findings(ev: Evidence, currency: str = costs.DEFAULT_CURRENCY, dose_threshold: float = mvm.DOSE_THRESHOLD) -> Findings:
    syntheses = [synthesis(ev, o) for o in MAIN_OUTCOMES]
    sources, wrong = verdicts(ev)
    return Findings(syntheses, robustness(ev), dose(ev, dose_threshold), cost(ev, currency), sources, wrong, limits(ev))
