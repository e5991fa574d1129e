"""Study-level results (estimates.csv) as effects on an analysis's own scale, each with its route.

A trial enters an analysis by one of three routes, in this order of preference:

* ``arm_level``: per-arm counts or means (outcomes.csv), through effect_sizes as metafor's escalc;
* ``reported_estimate``: the trial's own estimate on the analysis's measure, with its CI, SE or
  exact p (generic inverse variance, Cochrane Handbook 10.3);
* ``converted``: an estimate on another measure, or a test statistic, brought to the analysis's
  measure by a named conversion (conversions.py).

Among several rows of one trial for one outcome the choice is fixed, so it never depends on row
order: not weak before weak, primary pages before secondary ones, ITT before other populations,
the latest time point (the end of treatment, as for arm-level data), estimates before bare
statistics. Conversions that rest on an assumption beyond the printed numbers (equal group sizes,
a hazard ratio read as an odds ratio, a z from a p alone) are flagged ``weak``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from baclofen_evidence import conversions as cv
from baclofen_evidence.conversions import ConversionError, Effect
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.rules import outcome_definitions
from baclofen_evidence import formatting as fmt

RATIO = {"OR": "log_or", "RR": "log_rr", "HR": "log_hr"}
# The scale each analysis measure pools on; "overview" is Hedges' g with positive favouring baclofen.
TARGET_SCALE = {"RR": "log_rr", "OR": "log_or", "RD": "rd", "MD": "md", "SMD": "g", "overview": "g"}
POPULATION_ORDER = {"itt": 0, "modified_itt": 1, "not_reported": 2, "per_protocol": 3, "completers": 4, "subgroup": 5}


def favourable_sign(better: str, scale: str) -> int:
    """+1 when a positive value on this scale means baclofen did better, else -1.

    Ratios count the outcome's event (abstinence: more is better; relapse, dropout, time-to-event
    hazards: more is worse); differences are baclofen minus control, and for time-to-event outcomes
    a positive standardised difference means a longer time to the event.
    """
    if scale in ("log_or", "log_rr", "log_hr"):
        return 1 if better == "higher" else -1
    return 1 if better in ("higher", "later") else -1


@dataclass
class Candidate:
    row: pd.Series
    effect: Effect
    route: str  # reported_estimate or converted


def arm_list(text) -> list[str]:
    return [a for a in str(text).split(";") if a] if isinstance(text, str) else []


def _signed(value: float, row: pd.Series, better: str, scale: str) -> float:
    """The printed value with the sign of baclofen minus control (or its log ratio)."""
    if row["orientation"] == "signed":
        return value
    fav = row["favours"]
    if fav not in ("baclofen", "control"):
        raise ConversionError("the result is printed without a sign and the report does not say which arm it favours")
    magnitude = abs(value)
    return magnitude * favourable_sign(better, scale) * (1 if fav == "baclofen" else -1)


def _group_sizes(row: pd.Series) -> tuple[float, float] | None:
    if pd.isna(row["n_treatment"]) or pd.isna(row["n_control"]):
        return None
    return float(row["n_treatment"]), float(row["n_control"])


def native_effect(row: pd.Series, better: str, total_n: tuple[float, str] | None = None) -> Effect:
    """The row's result on its own scale, signed baclofen minus control, with the variance's route.

    ``total_n`` (a count and what it counts) serves a d printed with neither CI nor group sizes:
    two equal groups of half that count are then assumed, and the result is flagged weak."""
    measure = row["measure"]
    level = 95.0 if pd.isna(row["ci_level"]) else float(row["ci_level"])
    has_ci = not (pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]))
    exact_p = not pd.isna(row["p_value"]) and row["p_relation"] == "="
    if measure in RATIO:
        scale = RATIO[measure]
        if pd.isna(row["estimate"]) or row["estimate"] <= 0:
            raise ConversionError(f"a {measure} needs a positive estimate")
        y = _signed(math.log(row["estimate"]), row, better, scale)
        shown = f"{measure} {fmt.as_printed(row['estimate'])}"
        if has_ci:
            se = cv.se_from_ci(row["ci_low"], row["ci_high"], level, log=True)
            step = f"{shown} ({fmt.as_printed(row['ci_low'])} to {fmt.as_printed(row['ci_high'])}): SE of ln {measure} from the {fmt.as_printed(level)}% CI ({cv.CITATIONS['ci_to_se']})"
        elif not pd.isna(row["se"]):
            se, step = float(row["se"]), f"{shown}, SE {fmt.as_printed(row['se'])} as printed"
        elif exact_p:
            se = cv.se_from_p(y, row["p_value"])
            step = f"{shown}, p = {fmt.as_printed(row['p_value'])}: SE from the exact p ({cv.CITATIONS['p_to_se']})"
        else:
            raise ConversionError(f"the {measure} has no CI, SE or exact p")
        return Effect(y, se * se, scale, [step])
    if measure in ("RD", "MD", "d", "g"):
        scale = {"RD": "rd", "MD": "md", "d": "d", "g": "g"}[measure]
        if pd.isna(row["estimate"]):
            raise ConversionError(f"the {measure} has no estimate")
        unit = 100.0 if measure == "RD" else 1.0  # RD is printed in percentage points
        y = _signed(float(row["estimate"]), row, better, scale) / unit
        shown = f"{measure} {fmt.as_printed(row['estimate'])}" + (" points" if measure == "RD" else "")
        sizes = _group_sizes(row)
        if has_ci:
            se = cv.se_from_ci(row["ci_low"] / unit, row["ci_high"] / unit, level)
            step = f"{shown} ({fmt.as_printed(row['ci_low'])} to {fmt.as_printed(row['ci_high'])}): SE from the {fmt.as_printed(level)}% CI ({cv.CITATIONS['ci_to_se']})"
        elif not pd.isna(row["se"]):
            se, step = float(row["se"]) / unit, f"{shown}, SE {fmt.as_printed(row['se'])} as printed"
        elif measure in ("d", "g") and sizes:
            g, vg = cv.g_from_d(y, *sizes) if measure == "d" else (y, 1 / sizes[0] + 1 / sizes[1] + y * y / (2 * sum(sizes)))
            step = (f"{shown} with groups of {fmt.as_printed(sizes[0])} and {fmt.as_printed(sizes[1])}: "
                    + (f"Hedges' g = J·d, J = {fmt.number(cv.hedges_j(sum(sizes) - 2), 4)}; " if measure == "d" else "")
                    + f"variance 1/n1 + 1/n2 + g²/(2N) ({cv.CITATIONS['var_d']})")
            return Effect(g, vg, "g", [step])
        elif exact_p:
            se = cv.se_from_p(y, row["p_value"])
            step = f"{shown}, p = {fmt.as_printed(row['p_value'])}: SE from the exact p ({cv.CITATIONS['p_to_se']})"
        elif measure in ("d", "g") and total_n:
            sizes = (total_n[0] / 2, total_n[0] / 2)
            se = math.sqrt(cv.var_d(y, *sizes))
            step = (f"{shown}, no CI, SE or group sizes printed: variance of d ({cv.CITATIONS['var_d']}) with two equal groups "
                    f"of {fmt.as_printed(sizes[0])} assumed from the {total_n[1]} ({fmt.as_printed(total_n[0])})")
            return Effect(y, se * se, scale, [step], weak=True)
        else:
            raise ConversionError(f"the {measure} has no CI, SE, group sizes or exact p")
        effect = Effect(y, se * se, scale, [step])
        if measure == "d" and sizes:
            g, vg = cv.d_to_g(effect.yi, effect.vi, *sizes)
            effect = effect.then(g, vg, "g", f"Hedges' correction J = {fmt.number(cv.hedges_j(sum(sizes) - 2), 4)} ({cv.CITATIONS['hedges_j']})")
        return effect
    return _effect_from_statistic(row, better, total_n)


def _effect_from_statistic(row: pd.Series, better: str, total_n: tuple[float, str] | None = None) -> Effect:
    """Cohen's d from a t, an F or chi-square with 1 df, a z, or an exact p, with the group sizes."""
    kind, value = row["stat_kind"], row["stat_value"]
    sizes = _group_sizes(row)
    weak = False
    if isinstance(kind, str) and not pd.isna(value):
        if kind in ("F", "chi2"):
            if pd.isna(row["df1"]) or float(row["df1"]) != 1:
                raise ConversionError(f"a {kind} statistic converts to an effect only with 1 (numerator) degree of freedom")
            t = math.sqrt(float(value))
            shown = f"{kind}(1{'' if pd.isna(row['df2']) else f', {fmt.as_printed(row.df2)}'}) = {fmt.as_printed(value)}"
        else:
            t = abs(float(value)) if row["orientation"] == "magnitude" else float(value)
            shown = f"{kind}{'' if pd.isna(row['df1']) else f'({fmt.as_printed(row.df1)})'} = {fmt.as_printed(value)}"
        if kind in ("z", "chi2"):
            weak = True  # a z from a test other than a t-test, read as a t (Borenstein ch. 7)
        source = shown
    elif not pd.isna(row["p_value"]) and row["p_relation"] == "=":
        t, weak = cv.z_from_p(float(row["p_value"])), True
        source = f"p = {fmt.as_printed(row['p_value'])} (z = {fmt.number(t, 3)}, {cv.CITATIONS['p_to_se']})"
    elif not pd.isna(row["p_value"]):
        raise ConversionError(f"p {row['p_relation']} {fmt.as_printed(row['p_value'])} is a bound: it yields no effect size")
    else:
        raise ConversionError("no estimate, statistic or exact p")
    probe = row.copy()
    probe["orientation"] = "magnitude" if kind in ("F", "chi2") or not isinstance(kind, str) else row["orientation"]
    t = _signed(t, probe, better, "d")
    if sizes:
        d = cv.d_from_t(t, *sizes)
        step = f"{source} with groups of {fmt.as_printed(sizes[0])} and {fmt.as_printed(sizes[1])}: d = t·√(1/n1 + 1/n2) ({cv.CITATIONS['t_to_d']})"
    elif kind in ("t", "F") and not pd.isna(row["df1" if kind == "t" else "df2"]):
        df = float(row["df1" if kind == "t" else "df2"])
        sizes, weak = ((df + 2) / 2, (df + 2) / 2), True
        d = cv.d_from_t(t, *sizes)
        step = (f"{source}, group sizes not printed: two equal groups of {fmt.as_printed(sizes[0])} assumed from the {fmt.as_printed(df)} df, "
                f"d = t·√(1/n1 + 1/n2) ({cv.CITATIONS['t_to_d_equal']})")
    elif total_n:
        sizes, weak = (total_n[0] / 2, total_n[0] / 2), True
        d = cv.d_from_t(t, *sizes)
        step = (f"{source}, group sizes not printed: two equal groups of {fmt.as_printed(sizes[0])} assumed from the {total_n[1]} "
                f"({fmt.as_printed(total_n[0])}), d = t·√(1/n1 + 1/n2) ({cv.CITATIONS['t_to_d_equal']})")
    else:
        raise ConversionError("a test statistic converts to d only with the group sizes")
    g, vg = cv.g_from_d(d, *sizes)
    return Effect(g, vg, "g", [step, f"Hedges' g = J·d, J = {fmt.number(cv.hedges_j(sum(sizes) - 2), 4)}, variance 1/n1 + 1/n2 + g²/(2N) "
                               f"({cv.CITATIONS['hedges_j']}; as metafor's escalc)"], weak,
                  escalc={"measure": "SMD", "ti": t, "n1i": sizes[0], "n2i": sizes[1]})


def _ci(effect: Effect) -> tuple[float, float]:
    half = cv.z_for_level(95) * math.sqrt(effect.vi)
    return effect.yi - half, effect.yi + half


def to_target(effect: Effect, target: str, better: str, control_risk: float | None) -> Effect:
    """Bring an effect to the analysis scale (TARGET_SCALE); raises when no cited route exists."""
    scale = TARGET_SCALE[target]
    src = effect.scale
    if target == "overview":
        if src in ("g", "d"):
            out = effect
        elif src in ("log_or", "log_hr"):
            d, vd = cv.log_or_to_d(effect.yi, effect.vi)
            note = f"SMD = ln {'OR' if src == 'log_or' else 'HR'} × √3/π ({cv.CITATIONS['or_to_d']})"
            out = effect.then(d, vd, "d", note + ("; the hazard ratio is read as an odds ratio" if src == "log_hr" else ""),
                              weak=src == "log_hr")
        elif src == "rd" and control_risk is not None:
            out = to_target(_rd_to_log_or(effect, control_risk), "overview", better, None)
        else:
            raise ConversionError(f"no cited route from {src} to a standardised mean difference without the arms' SDs")
        sign = favourable_sign(better, out.scale)
        if sign < 0:
            out = out.then(-out.yi, out.vi, out.scale, "sign set so that a positive value favours baclofen", flip=True)
        return out
    if src == scale:
        return effect
    if scale == "g" and src == "d":
        return effect  # a d whose group sizes are unknown: Hedges' correction not applied (below 1% for n > 75)
    if scale in ("log_or", "log_rr") and src in ("d", "g"):
        y, v = cv.d_to_log_or(effect.yi, effect.vi)
        as_or = effect.then(y, v, "log_or", f"ln OR = SMD × π/√3 ({cv.CITATIONS['d_to_or']})")
        return as_or if scale == "log_or" else to_target(as_or, target, better, control_risk)
    if scale == "log_rr" and src == "log_or":
        if control_risk is None:
            raise ConversionError("an OR converts to an RR only with the control group's risk")
        lo, hi = _ci(effect)
        y = math.log(cv.or_to_rr(math.exp(effect.yi), control_risk))
        se = (math.log(cv.or_to_rr(math.exp(hi), control_risk)) - math.log(cv.or_to_rr(math.exp(lo), control_risk))) / (2 * cv.z_for_level(95))
        return effect.then(y, se * se, "log_rr", f"RR from OR with control risk {fmt.number(control_risk, 3)}, CI limits converted alike ({cv.CITATIONS['or_to_rr']})")
    if scale == "log_or" and src == "rd" and control_risk is not None:
        return _rd_to_log_or(effect, control_risk)
    if scale == "log_rr" and src == "rd" and control_risk is not None:
        return to_target(_rd_to_log_or(effect, control_risk), "RR", better, control_risk)
    raise ConversionError(f"no cited route from {src.replace('_', ' ')} to {scale.replace('_', ' ')}")


def _rd_to_log_or(effect: Effect, p0: float) -> Effect:
    """A risk difference with the control risk gives both arms' risks, hence an OR; CI limits alike."""
    def log_or(rd: float) -> float:
        p1 = min(max(p0 + rd, 1e-6), 1 - 1e-6)
        return math.log(p1 * (1 - p0) / (p0 * (1 - p1)))
    lo, hi = _ci(effect)
    se = (log_or(hi) - log_or(lo)) / (2 * cv.z_for_level(95))
    return effect.then(log_or(effect.yi), se * se, "log_or", f"OR from the risk difference and the control risk {fmt.number(p0, 3)} (CI limits converted alike)")


def control_risk(ev: Evidence, row: pd.Series) -> float | None:
    """The control arm's risk for the row's outcome, from outcomes.csv (events or percent over total)."""
    arms = arm_list(row["control_arms"])
    o = ev.outcomes[(ev.outcomes["outcome_id"] == row["outcome_id"]) & ev.outcomes["arm_id"].isin(arms)]
    if o.empty:
        return None
    o = o[o["timepoint_weeks"] == o["timepoint_weeks"].max()]
    if o["events"].notna().all() and o["total"].notna().all():
        return float(o["events"].sum() / o["total"].sum())
    if o["percent"].notna().all() and len(o) == 1:
        return float(o["percent"].iloc[0]) / 100
    return None


def _total_n(row: pd.Series, arms_n: pd.Series, study_n: pd.Series) -> tuple[float, str] | None:
    """The best count of participants behind a row when its group sizes are not printed."""
    if not pd.isna(row["n_analysed"]):
        return float(row["n_analysed"]), "analysed n"
    arms = arm_list(row["treatment_arms"]) + arm_list(row["control_arms"])
    ns = [arms_n.get(a) for a in arms]
    if ns and all(n is not None and not pd.isna(n) for n in ns):
        return float(sum(ns)), "randomized n of the arms compared"
    n = study_n.get(row["study_id"])
    return (float(n), "trial's randomized n") if n is not None and not pd.isna(n) else None


def _rank(row: pd.Series, effect: Effect) -> tuple:
    return (effect.weak, bool(row["secondary"]), POPULATION_ORDER.get(row["population"], 9), -float(row["timepoint_weeks"]),
            row["measure"] == "none", row["estimate_id"])


def candidates(ev: Evidence, outcome_id: str, target: str, study_ids=None) -> tuple[dict[str, Candidate], dict[str, str]]:
    """The best convertible study-level row per study, and why the others' rows could not be used."""
    if "estimates" not in ev.tables or ev.estimates.empty:
        return {}, {}
    defs = outcome_definitions(ev.descriptor)
    better = defs[outcome_id]["better"]
    rows = ev.estimates[ev.estimates["outcome_id"] == outcome_id]
    if study_ids is not None:
        rows = rows[rows["study_id"].isin(study_ids)]
    best: dict[str, tuple[tuple, Candidate]] = {}
    why_not: dict[str, str] = {}
    arms_n = ev.arms.set_index("arm_id")["n_randomized"]
    study_n = ev.studies.set_index("study_id")["n_randomized"]
    for _, row in rows.iterrows():
        if row["population"] == "subgroup":
            why_not.setdefault(row["study_id"], f"{row['estimate_id']}: a subgroup result is not the trial's result")
            continue
        try:
            native = native_effect(row, better, _total_n(row, arms_n, study_n))
            p0 = control_risk(ev, row) if target in ("RR", "OR", "RD", "overview") else None
            effect = to_target(native, target, better, p0)
        except ConversionError as exc:
            why_not.setdefault(row["study_id"], f"{row['estimate_id']}: {exc}")
            continue
        if not (np.isfinite(effect.yi) and np.isfinite(effect.vi) and effect.vi > 0):
            why_not.setdefault(row["study_id"], f"{row['estimate_id']}: the conversion gave no finite effect")
            continue
        same = row["measure"] == target or (target in ("SMD", "overview") and row["measure"] in ("d", "g"))
        route = "reported_estimate" if same and not effect.weak else "converted"
        cand = Candidate(row, effect, route)
        key = _rank(row, effect)
        if row["study_id"] not in best or key < best[row["study_id"]][0]:
            best[row["study_id"]] = (key, cand)
    return {sid: c for sid, (_, c) in best.items()}, {sid: w for sid, w in why_not.items() if sid not in best}


SE_AGREEMENT = 0.2  # relative difference above which two routes to one SE are reported


def se_disagreements(ev: Evidence) -> list[str]:
    """Rows where the SE from the CI and the SE from the exact p differ by more than SE_AGREEMENT,
    as FILE:ROW:COLUMN warnings with both values (Altman & Bland, BMJ 2011;343:d2090 and d2304)."""
    if "estimates" not in ev.tables:
        return []
    out = []
    for rownum, e in ev.estimates.iterrows():
        if e["measure"] not in (*RATIO, "RD", "MD", "d", "g") or pd.isna(e["estimate"]) or pd.isna(e["ci_low"]) \
                or pd.isna(e["ci_high"]) or pd.isna(e["p_value"]) or e["p_relation"] != "=":
            continue
        if e["stat_kind"] in ("F", "chi2") and not pd.isna(e["df1"]) and e["df1"] > 1:
            continue  # the p belongs to an omnibus test, not to this estimate
        log = e["measure"] in RATIO
        try:
            level = 95.0 if pd.isna(e["ci_level"]) else float(e["ci_level"])
            se_ci = cv.se_from_ci(e["ci_low"], e["ci_high"], level, log=log)
            se_p = cv.se_from_p(math.log(e["estimate"]) if log else float(e["estimate"]), float(e["p_value"]))
        except (ConversionError, ValueError):
            continue
        if abs(se_ci - se_p) / max(se_ci, se_p) > SE_AGREEMENT:
            out.append(f"{ev.file_of('estimates')}:{int(rownum)}:p_value: the SE from the CI ({fmt.significant(se_ci, 4)}) and from the exact p "
                       f"({fmt.significant(se_p, 4)}) disagree by more than {fmt.percent(SE_AGREEMENT)}; the CI is used")
    return out
