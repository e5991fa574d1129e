"""Trial sequential analysis of one outcome: information size, monitoring boundaries, Z-curve, verdict.

Defaults (each stated in the report, each a parameter):

* alpha 5% two-sided, beta 20% (power 80%), as the TSA manual's examples and most published TSAs;
* binary outcomes: anticipated relative risk reduction 20% (for abstinence, where more is better, a 20%
  relative increase: rrr = -0.2); control event proportion from the pooled placebo arms of the trials in
  the analysis that printed per-arm counts;
* continuous outcomes: the minimal relevant difference is the pooled estimate of the largest published
  review of that outcome (published_estimates.csv), the SD the pooled SD of the trials' own arms;
* the overview synthesis (SMD): TSA cannot be run on a standardised mean difference (RTSA SOP): there is
  no raw-scale difference or SD. An approximate sequential view is given on the SD scale (σ = 1, the
  anticipated SMD from Bschor 2018), labelled approximate, and never used for a firm verdict;
* Z-curve: random effects, DerSimonian-Laird (the TSA program's choice), trials in order of publication;
  D² from the same model's variance against the fixed-effect variance;
* the TSA program's rules: a trial adding under 1% of the RIS is not a separate look; once the
  accrued information passes the RIS, the RIS is the final look (all remaining alpha spent there);
  a bound above 8 is not reachable; when D² = 0 the report adds D² = 25% and 50%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from baclofen_evidence import group_sequential as gs
from baclofen_evidence import information_size as info
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError, require_number
from baclofen_evidence.pooling import METHOD_NAMES, pool
from baclofen_evidence import formatting as fmt

ALPHA = 0.05
BETA = 0.20
RRR = 0.20
METHOD = "DL"
METHODS = ("DL", "REML", "PM", "FE")
MIN_LOOK_SHARE = 0.01  # TSA: a trial adding less than 1% of the RIS is not a separate look
# A look that may spend less than this (two-sided, cumulative) gets no reachable bound (z above 4.89) and is
# not a separate look: so little alpha cannot be spent in practice, and numerical integration is unreliable there.
ALPHA_FLOOR = 1e-6
SENSITIVITY_D2 = (0.25, 0.50)
OUTCOMES = ("relapse", "abstinence", "dropout", "pct_days_abstinent", meta.OVERVIEW)
# The anticipated effect of a continuous outcome: the pooled estimate of the largest review of it.
ANTICIPATED = {"pct_days_abstinent": "cochrane2023_pda", meta.OVERVIEW: "bschor2018_primary"}
VERDICTS = ("firm_benefit", "firm_harm", "futility", "ris_reached", "inconclusive", "not_applicable")


@dataclass
class Inputs:
    """The RIS inputs with the reason for each value."""

    kind: str  # binary, continuous or standardised
    alpha: float
    beta: float
    control_event_proportion: float | None = None
    rrr: float | None = None
    mird: float | None = None
    sd: float | None = None
    method: str = METHOD
    why: dict = field(default_factory=dict)


@dataclass
class Look:
    study_id: str
    label: str
    year: int
    participants: float
    cumulative_participants: float
    fraction: float
    z: float
    separate_look: bool
    boundary_fraction: float | None = None
    z_efficacy: float | None = None
    z_futility: float | None = None
    note: str | None = None


@dataclass
class TSA:
    outcome_id: str
    outcome_label: str
    better: str
    measure: str
    inputs: Inputs
    d2: float
    d2_observed: float
    ris: int
    ris_adjusted: int
    accrued: float
    looks: list[Look]
    final_efficacy: float | None
    verdict: str
    verdict_text: str
    conventional: str
    z_final: float | None
    approximate: bool = False
    shift: float | None = None
    pooled: dict = field(default_factory=dict)
    design: list = field(default_factory=list)  # the information fractions the boundaries are computed at

    @property
    def fraction(self) -> float:
        return self.accrued / self.ris_adjusted

    def orientation(self) -> str:
        scale = "log risk ratio" if self.measure == "RR" else ("standardised mean difference" if self.measure == "SMD" else "mean difference")
        side = "negative" if self.better == "lower" else "positive"
        return f"Z = pooled {scale} / its SE; {side} values favour baclofen"

    def to_dict(self) -> dict:
        i = self.inputs
        out = {"outcome": self.outcome_id, "measure": self.measure, "kind": i.kind, "approximate": self.approximate,
               "alpha": i.alpha, "beta": i.beta, "sided": 2}
        if i.kind == "binary":
            out.update(control_event_proportion=i.control_event_proportion, rrr=i.rrr,
                       intervention_event_proportion=i.control_event_proportion * (1 - i.rrr))
        else:
            out.update(mird=i.mird, sd=i.sd)
        out.update(inputs_why=i.why, model=METHOD_NAMES[i.method], method=i.method, orientation=self.orientation(),
                   d2=self.d2, d2_observed=self.d2_observed, ris=self.ris, ris_adjusted=self.ris_adjusted,
                   accrued=self.accrued, fraction=self.fraction, z_final=self.z_final,
                   final_efficacy_bound=self.final_efficacy, drift=self.shift, design_fractions=self.design,
                   looks=[vars(look) for look in self.looks], verdict=self.verdict, verdict_text=self.verdict_text,
                   conventional=self.conventional, pooled=self.pooled)
        return out


# ---------------------------------------------------------------- defaults


def pooled_control_proportion(ma: meta.MetaAnalysis) -> tuple[float, str]:
    arm = ma.studies[ma.studies["route"] == "arm_level"] if not ma.studies.empty else ma.studies
    if arm.empty or arm["ci"].isna().all():
        raise ParameterError(f"control_event_proportion: no trial of {ma.outcome_id} printed per-arm counts; give it explicitly")
    events, total = float(arm["ci"].sum()), float(arm["n2i"].sum())
    where = ", ".join(f"{r.label} {fmt.as_printed(r.ci)}/{fmt.as_printed(r.n2i)}" for r in arm.itertuples())
    return events / total, f"pooled placebo arms of the trials with per-arm counts: {fmt.as_printed(events)}/{fmt.as_printed(total)} ({where})"


def pooled_sd(ma: meta.MetaAnalysis) -> tuple[float, str]:
    arm = ma.studies.dropna(subset=["sd1i", "sd2i"]) if not ma.studies.empty else ma.studies
    if arm.empty:
        raise ParameterError(f"sd: no trial of {ma.outcome_id} printed per-arm SDs; give it explicitly")
    dfs = np.concatenate([arm["n1i"] - 1, arm["n2i"] - 1])
    var = np.concatenate([arm["sd1i"] ** 2, arm["sd2i"] ** 2])
    sd = float(math.sqrt(np.sum(dfs * var) / np.sum(dfs)))
    return sd, f"pooled SD of both arms of {', '.join(arm['label'])} (degrees-of-freedom weighted): {fmt.number(sd)}"


def anticipated_difference(ev: Evidence, outcome_id: str) -> tuple[float, str]:
    est_id = ANTICIPATED[outcome_id]
    hit = ev.published_estimates[ev.published_estimates["estimate_id"] == est_id]
    if hit.empty:
        raise ParameterError(f"mird: the published estimate {est_id} is not in published_estimates.csv; give it explicitly")
    r = hit.iloc[0]
    return float(r["estimate"]), (f"pooled {r['measure']} of {r['review_id']} ({r['outcome']}, k = {fmt.as_printed(r['k'])}; {r['ref_id']}, "
                                  f"{r['locator']}), taken as the effect worth detecting")


def inputs_for(ev: Evidence, ma: meta.MetaAnalysis, control_event_proportion=None, rrr=None, mird=None, sd=None,
               alpha: float = ALPHA, beta: float = BETA, method: str = METHOD) -> Inputs:
    info.check_error_rates(alpha, beta)
    if method not in METHODS:
        raise ParameterError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    why = {"alpha": "5% two-sided, the conventional level and the TSA manual's", "beta": "20% (power 80%), the TSA manual's default",
           "method": "DerSimonian-Laird random effects, the TSA program's model" if method == "DL" else "chosen by the user"}
    if ma.kind == "binary":
        if ma.measure != "RR":
            raise ParameterError("measure: TSA of a binary outcome is run on the risk ratio here")
        if control_event_proportion is None:
            control_event_proportion, why["control_event_proportion"] = pooled_control_proportion(ma)
        else:
            why["control_event_proportion"] = "given by the user"
        if rrr is None:
            rrr = -RRR if ma.better == "higher" else RRR
            why["rrr"] = ("a 20% relative increase in a beneficial outcome (RRR -20%), the TSA manual's convention"
                          if rrr < 0 else "20%, a common anticipated relative risk reduction in TSA (and the TSA manual's size)")
        else:
            why["rrr"] = "given by the user"
        return Inputs("binary", alpha, beta, control_event_proportion=float(control_event_proportion), rrr=float(rrr),
                      method=method, why=why)
    kind = "standardised" if ma.kind == "overview" else "continuous"
    if mird is None:
        mird, why["mird"] = anticipated_difference(ev, ma.outcome_id)
    else:
        why["mird"] = "given by the user"
    if sd is None:
        if kind == "standardised":
            sd, why["sd"] = 1.0, "1: a standardised mean difference is in SD units"
        else:
            sd, why["sd"] = pooled_sd(ma)
    else:
        why["sd"] = "given by the user"
    return Inputs(kind, alpha, beta, mird=float(mird), sd=float(sd), method=method, why=why)


def raw_ris(i: Inputs) -> float:
    if i.kind == "binary":
        return info.ris_binary(i.control_event_proportion, i.rrr, i.alpha, i.beta)
    return info.ris_continuous(i.mird, i.sd, i.alpha, i.beta)


# ---------------------------------------------------------------- the analysis


def _cumulative_z(studies: pd.DataFrame, method: str) -> list[float]:
    out = []
    for k in range(1, len(studies) + 1):
        sub = studies.iloc[:k]
        if k == 1:
            out.append(float(sub["yi"].iloc[0] / math.sqrt(sub["vi"].iloc[0])))
        else:
            r = pool(sub["yi"], sub["vi"], method=method)
            out.append(float(r.estimate / r.se))
    return out


def _looks(studies: pd.DataFrame, z: list[float], ris_adjusted: int, alpha: float, beta: float):
    looks, cum, last_look = [], 0.0, 0.0
    for (_, s), zk in zip(studies.iterrows(), z):
        cum += float(s["participants"])
        frac = cum / ris_adjusted
        note = None
        if last_look >= 1:
            note = "beyond the RIS: compared with the final bound"
        elif (frac - last_look) < MIN_LOOK_SHARE:
            note = f"adds under {fmt.percent(MIN_LOOK_SHARE)} of the RIS: not a separate look"
        elif gs.alpha_spent(alpha, min(frac, 1.0)) < ALPHA_FLOOR:
            note = f"bound not reachable: under {fmt.as_printed(ALPHA_FLOOR)} of alpha may be spent this early (bound above 4.9)"
        separate = note is None
        if separate:
            last_look = min(frac, 1.0)
        looks.append(Look(s["study_id"], s["label"], int(s["year"]), float(s["participants"]), cum, frac, zk, separate,
                          min(frac, 1.0) if separate else None, note=note))
    fractions = [look.boundary_fraction for look in looks if look.separate_look]
    design = fractions + ([1.0] if not fractions or fractions[-1] < 1 else [])
    b = gs.boundaries(design, alpha, beta)
    at = {f: (e, u) for f, e, u in zip(b.fractions, b.efficacy, b.futility)}
    final = float(b.efficacy[-1])
    for look in looks:
        if look.separate_look:
            e, u = at[look.boundary_fraction]
        elif look.fraction >= 1:
            e, u = final, final
        else:
            continue
        look.z_efficacy = float(e) if math.isfinite(e) else None
        look.z_futility = None if (u is None or not math.isfinite(u)) else float(u)
        if not math.isfinite(e):
            look.note = "; ".join(x for x in (look.note, "efficacy bound not reachable (above 8)") if x)
        if look.z_futility is None:
            look.note = "; ".join(x for x in (look.note, "no futility region yet") if x)
    return looks, final, b.shift, design


def _verdict(looks: list[Look], better: str, accrued_fraction: float, approximate: bool) -> tuple[str, str]:
    benefit_sign = -1 if better == "lower" else 1
    for look in looks:
        if look.z_efficacy is not None and abs(look.z) >= look.z_efficacy:
            kind = "firm_benefit" if np.sign(look.z) == benefit_sign else "firm_harm"
            what = "benefit" if kind == "firm_benefit" else "harm"
            return kind, (f"the Z-curve crosses the alpha-spending boundary at {look.label} (Z = {fmt.number(look.z)}, bound "
                          f"±{fmt.number(look.z_efficacy)}, {fmt.percent(look.fraction)} of the RIS): firm evidence of {what} "
                          "for an effect of the anticipated size")
        if look.z_futility is not None and abs(look.z) < look.z_futility:
            return "futility", (f"the Z-curve enters the futility region at {look.label} (|Z| = {fmt.number(abs(look.z))} < "
                                f"{fmt.number(look.z_futility)}, {fmt.percent(look.fraction)} of the RIS): an effect of the anticipated size is rejected")
    if accrued_fraction >= 1:
        return "ris_reached", "the RIS is reached without a crossing"
    return "inconclusive", f"{fmt.percent(accrued_fraction)} of the required information has accrued and no boundary is crossed"


def run(ev: Evidence, outcome_id: str, control_event_proportion=None, rrr=None, mird=None, sd=None,
        alpha: float = ALPHA, beta: float = BETA, method: str = METHOD, d2: float | None = None) -> TSA:
    """The TSA of one outcome's default meta-analysis (placebo comparator, every usable trial)."""
    require_number("d2", d2)
    ma = meta.run(ev, outcome_id)
    if ma.studies.empty:
        raise ParameterError(f"outcome: no trial of {outcome_id} can enter a TSA ({ma.reason_not_pooled})")
    i = inputs_for(ev, ma, control_event_proportion, rrr, mird, sd, alpha, beta, method)
    studies = ma.studies.sort_values(["year", "study_id"], kind="stable").reset_index(drop=True)
    observed = info.diversity(studies["yi"], studies["vi"], method) if method != "FE" else 0.0
    used = observed if d2 is None else float(d2)
    if d2 is not None:
        i.why["d2"] = "given by the user (sensitivity)"
    raw = raw_ris(i)
    ris, ris_adj = info.participants(raw), info.participants(info.adjusted(raw, used))
    z = _cumulative_z(studies, method)
    looks, final, shift, design = _looks(studies, z, ris_adj, alpha, beta)
    accrued = float(studies["participants"].sum())
    approximate = i.kind == "standardised"
    verdict, text = _verdict(looks, ma.better, accrued / ris_adj, approximate)
    res = pool(studies["yi"], studies["vi"], method=method) if len(studies) > 1 else None
    p = res.p if res is not None else float(2 * stats.norm.sf(abs(z[-1])))
    conventional = _conventional(p, verdict)
    if approximate:
        text = ("approximate (SMD scale; TSA proper needs a raw-scale difference and SD): " + text)
    pooled = {}
    if res is not None:
        pooled = {"estimate": ma.scale(res.estimate), "ci_low": ma.scale(res.ci_low), "ci_high": ma.scale(res.ci_high),
                  "p": res.p, "tau2": res.tau2, "k": res.k}
    return TSA(outcome_id, ma.outcome_label, ma.better, ma.measure, i, used, observed, ris, ris_adj, accrued, looks,
               final, verdict, text, conventional, z[-1], approximate, shift, pooled, design)


def _conventional(p: float, verdict: str) -> str:
    if p < 0.05 and verdict not in ("firm_benefit", "firm_harm"):
        return (f"conventionally significant ({fmt.p_value(p)}, below 0.05) but the TSA boundary is not crossed: the result may be a "
                "false positive of repeated looks at too little information")
    if p < 0.05:
        return f"conventionally significant ({fmt.p_value(p)}) and the TSA boundary is crossed"
    return f"not conventionally significant ({fmt.p_value(p)})"


def sensitivity(ev: Evidence, tsa: TSA, values=SENSITIVITY_D2) -> list[dict]:
    """The TSA again with D² fixed at 25% and 50% (the RTSA SOP's advice when the observed D² is 0)."""
    i = tsa.inputs
    rows = []
    for d2 in values:
        other = run(ev, tsa.outcome_id, i.control_event_proportion, i.rrr, i.mird, i.sd, i.alpha, i.beta, i.method, d2=d2)
        rows.append({"d2": d2, "ris_adjusted": other.ris_adjusted, "fraction": other.fraction, "verdict": other.verdict,
                     "verdict_text": other.verdict_text})
    return rows
