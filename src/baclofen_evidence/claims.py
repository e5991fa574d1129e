"""Verdicts on the sources' claims, computed from the data package.

Each claim row names a check (check_kind); the check compares the claimed quantity or category with
the data and returns a verdict and the evidence that decides it:

* consistent: the data bear the claim out, within the tolerance its wording allows (its content: a
  number, a direction, a country, design or setting; never the mere existence of a matching study);
* identified: a matching study exists, but the check tested nothing the claim says about it;
* overstated: the claim goes beyond the data (a larger number, a firmer or wider conclusion);
* inconsistent: the data contradict it;
* unverifiable: the data package holds nothing that could decide it, or the only evidence is the article
  making the claim (sources.ref_id);
* depends on identification: the article's study is uncertain and its candidates get different verdicts.

Tolerances: a number hedged as "about" may differ by up to ABOUT_TOLERANCE (10%); an "exact" number
must match after rounding to the precision the claim uses; "more than" and "at least" are inequalities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from baclofen_evidence import comparisons as comp
from baclofen_evidence import costs
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError

VERDICTS = ("consistent", "identified", "overstated", "inconsistent", "unverifiable", "depends_on_identification")
# The study field each check decides from: its cell-level provenance says whose page the value came from.
DECIDING_FIELD = {"sample_size": "n_randomized", "duration": "duration_weeks", "year": "year", "direction": "direction",
                  "existence": "design", "study_content": "design"}
ABOUT_TOLERANCE = 0.10
WEEKS_PER = {"weeks": 1.0, "months": 52 / 12, "year": 52.0}
POSITIVE = {"favours_baclofen"}
NULL = {"no_difference", "favours_control"}
# Alcohol RCTs that count towards "RCTs of baclofen for alcohol dependence" (withdrawal trials do not).
COUNTED_INDICATIONS = ("relapse_prevention", "drinking_reduction", "dependence_treatment", "comorbid_symptoms")


@dataclass
class Verdict:
    verdict: str
    evidence: str


Check = Callable[[Evidence, pd.Series], Verdict]
CHECKS: dict[str, Check] = {}


def check(kind: str):
    def register(fn: Check) -> Check:
        CHECKS[kind] = fn
        return fn

    return register


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"


def compare_number(claimed: float, actual: float, qualifier: str | None, high: float | None = None) -> str:
    """Verdict for a claimed number against the data's number."""
    qualifier = qualifier or "exact"
    if qualifier == "about":
        if abs(claimed - actual) <= ABOUT_TOLERANCE * abs(actual):
            return "consistent"
    elif qualifier in ("more_than", "at_least"):
        ok = actual > claimed if qualifier == "more_than" else actual >= claimed
        return "consistent" if ok else "overstated"
    elif qualifier == "range" and high is not None:
        return "consistent" if claimed <= actual <= high else ("overstated" if actual < claimed else "inconsistent")
    else:
        decimals = 0 if float(claimed).is_integer() else len(str(claimed).split(".")[1])
        if round(actual, decimals) == claimed:
            return "consistent"
    return "overstated" if claimed > actual else "inconsistent"


def _study(ev: Evidence, claim: pd.Series) -> pd.Series:
    return ev.studies.set_index("study_id").loc[claim["study_id"]]


@check("sample_size")
def check_sample_size(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    if pd.isna(s["n_randomized"]):
        return Verdict("unverifiable", f"{s['label']}: the number of participants is not in the data")
    n = int(s["n_randomized"])
    verdict = compare_number(claim["quantity"], n, claim["qualifier"])
    return Verdict(verdict, f"{s['label']}: {n} {s['n_basis']} ({s['ref_id']}); claimed {_fmt(claim['quantity'])}")


@check("duration")
def check_duration(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    if pd.isna(s["duration_weeks"]):
        return Verdict("unverifiable", f"{s['label']}: treatment duration is not in the data")
    claimed_weeks = claim["quantity"] * WEEKS_PER[claim["unit"]]
    actual = float(s["duration_weeks"])
    verdict = "consistent" if abs(claimed_weeks - actual) <= ABOUT_TOLERANCE * actual else compare_number(claimed_weeks, actual, "exact")
    return Verdict(verdict, f"{s['label']}: {actual:g} weeks of treatment; claimed {claim['quantity']:g} {claim['unit']} = {claimed_weeks:.0f} weeks")


@check("year")
def check_year(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    if pd.isna(s["year"]):
        return Verdict("unverifiable", f"{s['label']}: its year is not in the data")
    ok = int(s["year"]) == int(claim["quantity"])
    return Verdict("consistent" if ok else "inconsistent", f"{s['label']} was published in {int(s['year'])}; claimed {int(claim['quantity'])}")


def _direction_verdict(claimed: str, actual: list[str]) -> str:
    actual_set = set(actual)
    if claimed == "mixed":
        return "consistent" if (actual_set & POSITIVE) and (actual_set & (NULL | {"mixed"})) or actual_set == {"mixed"} else "inconsistent"
    if claimed in POSITIVE:
        if actual_set <= POSITIVE:
            return "consistent"
        if actual_set & (POSITIVE | {"mixed", "uncontrolled_improvement"}):
            return "overstated"
        return "inconsistent"
    if claimed in NULL:
        return "consistent" if actual_set <= NULL else ("inconsistent" if actual_set <= POSITIVE else "overstated")
    if claimed == "uncontrolled_improvement":
        return "consistent" if actual_set <= {"uncontrolled_improvement"} | POSITIVE else "inconsistent"
    return "consistent" if actual_set == {claimed} else "inconsistent"


def _scoped(ev: Evidence, claim: pd.Series) -> pd.DataFrame:
    """The studies a claim about a set of studies refers to."""
    s = ev.studies
    design = claim["scope_design"] if not pd.isna(claim["scope_design"]) else "rct"
    s = s[(s["design"] == design) & (s["substance"] == "alcohol") & s["indication"].isin(COUNTED_INDICATIONS)]
    if not pd.isna(claim["scope_country"]):
        s = s[s["country"].str.split("; ").apply(lambda cs: claim["scope_country"] in cs)]
    if not pd.isna(claim["as_of_year"]):
        s = s[s["year"] <= claim["as_of_year"]]
    return s.sort_values(["year", "study_id"])


def _scope_text(claim: pd.Series) -> str:
    parts = ["RCTs of baclofen for alcohol dependence (withdrawal trials excluded)"]
    if not pd.isna(claim["scope_country"]):
        parts.append(f"in {claim['scope_country']}")
    if not pd.isna(claim["as_of_year"]):
        parts.append(f"published by the end of {int(claim['as_of_year'])}")
    return " ".join(parts)


@check("direction")
def check_direction(ev: Evidence, claim: pd.Series) -> Verdict:
    claimed = claim["claimed_value"]
    if not pd.isna(claim["study_id"]):
        s = _study(ev, claim)
        verdict = _direction_verdict(claimed, [s["direction"]])
        return Verdict(verdict, f"{s['label']} ({s['design'].replace('_', ' ')}): authors' direction on the primary outcome is "
                                f"{s['direction'].replace('_', ' ')}; claimed {claimed.replace('_', ' ')}")
    scoped = _scoped(ev, claim)
    if scoped.empty:
        return Verdict("unverifiable", f"no {_scope_text(claim)} in the data")
    listing = "; ".join(f"{r.label}: {r.direction.replace('_', ' ')}" for r in scoped.itertuples())
    return Verdict(_direction_verdict(claimed, list(scoped["direction"])),
                   f"{_scope_text(claim)}: {listing}; claimed {claimed.replace('_', ' ')}")


@check("outcome_direction")
def check_outcome_direction(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    frame = comp.build(ev, claim["outcome_id"], "placebo", "combined")
    hit = frame[frame["study_id"] == claim["study_id"]] if not frame.empty else frame
    if hit.empty:
        return Verdict("unverifiable", f"{s['label']}: no arm-level {claim['outcome_id'].replace('_', ' ')} data in the data package")
    r = hit.iloc[0]
    if "ai" in r:
        bac, ctl = r["ai"] / r["n1i"], r["ci"] / r["n2i"]
        text = f"{s['label']}: {claim['outcome_id'].replace('_', ' ')} {r['ai']:g}/{r['n1i']:g} ({bac:.0%}) on baclofen vs {r['ci']:g}/{r['n2i']:g} ({ctl:.0%}) on placebo"
    else:
        bac, ctl = r["m1i"], r["m2i"]
        text = f"{s['label']}: {claim['outcome_id'].replace('_', ' ')} mean {bac:g} on baclofen vs {ctl:g} on placebo"
    more = bac > ctl
    wanted = claim["claimed_value"] == "more_with_baclofen"
    verdict = "consistent" if more == wanted and bac != ctl else "inconsistent"
    return Verdict(verdict, f"{text}; claimed {claim['claimed_value'].replace('_', ' ')}")


@check("existence")
def check_existence(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    ids = [f"{k.upper()} {s[k]}" for k in ("doi", "pmid", "registration") if not pd.isna(s[k])]
    where = ", ".join(ids) if ids else s["ref_id"]
    claimed = claim["claimed_value"]
    if pd.isna(claimed) or claimed == s["design"]:
        # Only that such a study exists is tested: the claim's content is not, so it cannot count as consistent.
        verdict = "identified" if s["confidence"] != "low" else "unverifiable"
        return Verdict(verdict, f"{s['label']} ({s['design'].replace('_', ' ')}; {where}); identification confidence {s['confidence']}; "
                                "only the study's existence is checked")
    if s["design"] == "registered_unreported":
        return Verdict("unverifiable", f"{s['label']}: registered ({where}) but no results were ever reported; claimed {claimed.replace('_', ' ')}")
    return Verdict("inconsistent", f"{s['label']} is a {s['design'].replace('_', ' ')} ({where}), not a {claimed.replace('_', ' ')}")


def _trial_budget(ev: Evidence, study_id: str) -> pd.DataFrame:
    b = costs.budgets_per_patient(ev)
    return b[(b["study_id"] == study_id) & (b["basis"] == "trial budget")] if not b.empty else b


@check("cost_total")
def check_cost_total(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    budget = _trial_budget(ev, claim["study_id"])
    if budget.empty:
        return Verdict("unverifiable", f"{s['label']}: no published budget in costs.csv")
    b = budget.iloc[0]
    amount, cur, note = costs.convert(ev, b["source_amount"], b["source_currency"], b["price_year"], claim["unit"])
    if cur != claim["unit"]:
        return Verdict("unverifiable", f"{s['label']}: budget {_fmt(b['source_amount'])} {b['source_currency']} ({b['ref_id']}); {note}")
    verdict = compare_number(claim["quantity"], amount, claim["qualifier"])
    converted = f" = {_fmt(amount)} {cur} ({note})" if note else ""
    return Verdict(verdict, f"{s['label']}: budget {_fmt(b['source_amount'])} {b['source_currency']} ({b['ref_id']}){converted}; "
                            f"claimed {_fmt(claim['quantity'])} {claim['unit']}")


@check("cost_per_patient")
def check_cost_per_patient(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    budget = _trial_budget(ev, claim["study_id"])
    if budget.empty or pd.isna(s["n_randomized"]):
        return Verdict("unverifiable", f"{s['label']}: no published budget, or no n, in the data")
    b = budget.iloc[0]
    per_patient = b["source_amount"] / int(s["n_randomized"])
    amount, cur, note = costs.convert(ev, per_patient, b["source_currency"], b["price_year"], claim["unit"])
    base = (f"{s['label']}: {_fmt(b['source_amount'])} {b['source_currency']} / {int(s['n_randomized'])} randomized = "
            f"{_fmt(per_patient)} {b['source_currency']} per patient")
    if cur != claim["unit"]:
        return Verdict("unverifiable", f"{base}; {note}")
    verdict = compare_number(claim["quantity"], amount, claim["qualifier"])
    converted = f" = {_fmt(amount)} {cur} ({note})" if note else ""
    return Verdict(verdict, f"{base}{converted}; claimed {_fmt(claim['quantity'])} {claim['unit']}")


@check("dose_range")
def check_dose_range(ev: Evidence, claim: pd.Series) -> Verdict:
    scoped = _scoped(ev, claim)
    scoped = scoped[scoped["dose_max_mg_day"].notna()]
    if scoped.empty:
        return Verdict("unverifiable", f"no {_scope_text(claim)} with a dose in the data")
    lo = float(scoped[["dose_min_mg_day", "dose_max_mg_day"]].min(axis=1).min())
    hi = float(scoped["dose_max_mg_day"].max())
    listing = "; ".join(f"{r.label}: {_fmt(r.dose_max_mg_day)}" for r in scoped.itertuples())
    low_ok = abs(lo - claim["quantity"]) <= ABOUT_TOLERANCE * lo
    high_ok = hi > claim["quantity_high"] if claim["qualifier"] == "more_than" else abs(hi - claim["quantity_high"]) <= ABOUT_TOLERANCE * hi
    verdict = "consistent" if low_ok and high_ok else ("overstated" if claim["quantity_high"] > hi else "inconsistent")
    everywhere = _scoped(ev, claim.drop(labels=["scope_country"]).reindex(claim.index))
    above = everywhere[everywhere["dose_max_mg_day"] >= claim["quantity_high"]]
    elsewhere = "; ".join(f"{r.label} ({r.country})" for r in above.itertuples())
    text = f"{_scope_text(claim)}: doses {_fmt(lo)}-{_fmt(hi)} mg/day (maximum per trial: {listing})"
    if elsewhere:
        text += f"; RCTs anywhere reaching {_fmt(claim['quantity_high'])} mg/day: {elsewhere}"
    return Verdict(verdict, f"{text}; claimed {_fmt(claim['quantity'])} to {'over ' if claim['qualifier'] == 'more_than' else ''}{_fmt(claim['quantity_high'])} mg/day")


@check("trial_count")
def check_trial_count(ev: Evidence, claim: pd.Series) -> Verdict:
    """Counted two ways: RCTs published by the date (the data, and each review of the time), and published plus
    completed-but-unpublished (where a review of the time gives both). The verdict names the rule that decides."""
    scoped = _scoped(ev, claim)
    n = len(scoped)
    published = compare_number(claim["quantity"], n, claim["qualifier"])
    text = f"rule 1, published trials: {n} {_scope_text(claim)} in the data ({', '.join(scoped['label'])}); claimed {_fmt(claim['quantity'])}"
    near = ev.reviews[ev.reviews["year"] <= claim["as_of_year"] + 1]
    if not near.empty:
        text += "; reviews of the time: " + "; ".join(
            f"{r.label}: {r.n_rcts} RCTs" + (f" ({r.note.rstrip('.')})" if isinstance(r.note, str) else "") for r in near.itertuples())
    both = near[near["n_rcts_unpublished"].notna()] if "n_rcts_unpublished" in near else near.iloc[0:0]
    if published == "consistent" or both.empty:
        return Verdict(published, text + f". Decided by rule 1 (published trials): {published}")
    for r in both.itertuples():
        total = int(r.n_rcts) + int(r.n_rcts_unpublished)
        text += (f"; rule 2, published plus completed but unpublished: {r.label} counts {int(r.n_rcts)} + "
                 f"{int(r.n_rcts_unpublished)} = {total} ({r.ref_id})")
        if compare_number(claim["quantity"], total, claim["qualifier"]) == "consistent":
            return Verdict("consistent", text + (f". Decided by rule 2: the claim speaks of trials investigating baclofen, which "
                                                 f"includes completed ones not yet published, and its number is that review's total; "
                                                 f"by rule 1 (published only) it would be {published}"))
    return Verdict(published, text + f". Decided by rule 1 (published trials): {published}; rule 2 does not match either")


@check("high_dose_trial_count")
def check_high_dose_trial_count(ev: Evidence, claim: pd.Series) -> Verdict:
    scoped = _scoped(ev, claim)
    high = scoped[scoped["dose_max_mg_day"] > claim["dose_threshold_mg_day"]]
    verdict = compare_number(claim["quantity"], len(high), claim["qualifier"])
    return Verdict(verdict, f"{len(high)} of {len(scoped)} {_scope_text(claim)} allowed more than "
                            f"{_fmt(claim['dose_threshold_mg_day'])} mg/day ({', '.join(high['label']) or 'none'}); claimed {_fmt(claim['quantity'])}")


CONTENT_FIELDS = {"country": "country", "design": "design", "setting": "setting", "blinding": "blinding", "comparator": "comparator"}


@check("study_content")
def check_study_content(ev: Evidence, claim: pd.Series) -> Verdict:
    """Each attribute the claim gives (claimed_value 'country=Netherlands; design=rct; setting=multicentre'):
    country and design must equal the study's, a setting word must appear in its setting text."""
    s = _study(ev, claim)
    tested, failed = [], []
    for part in str(claim["claimed_value"]).split(";"):
        key, _, want = part.strip().partition("=")
        if key not in CONTENT_FIELDS:
            raise ValueError(f"claims.csv: {claim['claim_id']}: claimed_value names {key!r}, not one of {', '.join(CONTENT_FIELDS)}")
        have = "" if pd.isna(s[CONTENT_FIELDS[key]]) else str(s[CONTENT_FIELDS[key]])
        ok = want.lower() in have.lower() if key == "setting" else want in [x.strip() for x in have.split(";")]
        (tested if ok else failed).append(f"{key} {want!r} ({'matches' if ok else 'but the study has'} {have[:80]!r})")
    verdict = "inconsistent" if failed else ("consistent" if s["confidence"] != "low" else "unverifiable")
    return Verdict(verdict, f"{s['label']}: " + "; ".join(tested + failed) + f"; identification confidence {s['confidence']}")


@check("unverifiable")
def check_unverifiable(ev: Evidence, claim: pd.Series) -> Verdict:
    return Verdict("unverifiable", claim["note"] if not pd.isna(claim["note"]) else "the data package holds nothing that could decide this")


def _own_page(ev: Evidence, claim: pd.Series) -> str | None:
    """The article's own reference, when every page behind the deciding value is that article."""
    src = ev.sources.set_index("source_id")
    own = src.loc[claim["source_id"], "ref_id"] if "ref_id" in src and claim["source_id"] in src.index else None
    if pd.isna(own) or pd.isna(claim["study_id"]) or claim["check_kind"] not in DECIDING_FIELD:
        return None
    study = _study(ev, claim)
    prov = ev.provenance
    cell = prov[(prov["table"] == "studies") & (prov["row_key"] == claim["study_id"]) & (prov["field"] == DECIDING_FIELD[claim["check_kind"]])]
    refs = set(cell["ref_id"].dropna()) or {study["ref_id"]}
    return own if refs == {own} else None


def _candidates(claim: pd.Series) -> list[tuple[str, str]]:
    if "candidates" not in claim or pd.isna(claim["candidates"]):
        return []
    return [tuple(x.strip().split(":")) for x in str(claim["candidates"]).split(";") if x.strip()]


def decide(ev: Evidence, claim: pd.Series) -> Verdict:
    """A claim's verdict: never from the article's own page; against every candidate when the study is uncertain."""
    own = _own_page(ev, claim)
    if own:
        return Verdict("unverifiable", f"the only source for this is the article making the claim ({own}); "
                                       f"it cannot confirm itself")
    candidates = _candidates(claim)
    if not candidates:
        return CHECKS[claim["check_kind"]](ev, claim)
    results = []
    for sid, conf in candidates:
        one = claim.copy()
        one["study_id"] = sid
        results.append((sid, conf, CHECKS[claim["check_kind"]](ev, one)))
    text = " | ".join(f"if {sid} ({conf} confidence): {v.verdict}: {v.evidence}" for sid, conf, v in results)
    verdicts_found = {v.verdict for _, _, v in results}
    if len(verdicts_found) == 1:
        return Verdict(verdicts_found.pop(), f"the same for every candidate study: {text}")
    return Verdict("depends_on_identification", f"depends on which study is meant: {text}")


def verdicts(ev: Evidence, source: str | None = None) -> pd.DataFrame:
    """One row per claim (optionally of one source) with its verdict and deciding evidence."""
    claims = ev.claims
    if source is not None:
        known = set(ev.sources["source_id"])
        if source not in known:
            raise ParameterError(f"source: {source!r} is not a source id; choose one of {', '.join(sorted(known))}")
        claims = claims[claims["source_id"] == source]
    rows = []
    for _, claim in claims.iterrows():
        v = decide(ev, claim)
        rows.append({"claim_id": claim["claim_id"], "source_id": claim["source_id"],
                     "study_id": None if pd.isna(claim["study_id"]) else claim["study_id"],
                     "topic": claim["topic"], "claim": claim["paraphrase"], "verdict": v.verdict, "evidence": v.evidence})
    return pd.DataFrame(rows, columns=["claim_id", "source_id", "study_id", "topic", "claim", "verdict", "evidence"])
