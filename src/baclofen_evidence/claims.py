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

Claims about the body of evidence as a whole are decided from the analyses, never from a study's row:
whether it is conclusive from the trial sequential analyses of the main efficacy outcomes and the
overview synthesis (with its prediction interval and coverage); whether results vary from the overview's
heterogeneity and the split of the trials' own results; why trials are few from nothing (the data hold
budgets and counts, not reasons), with what can be computed shown; whether one trial was inconclusive
from that trial's own primary result.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from baclofen_evidence import comparisons as comp
from baclofen_evidence import costs, settling
from baclofen_evidence import coverage as cov
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import tsa as trial_sequential
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence import formatting as fmt
from baclofen_evidence import source_ids

VERDICTS = ("consistent", "identified", "overstated", "inconsistent", "unverifiable", "depends_on_identification")
# The study field each check decides from: its cell-level provenance says whose page the value came from.
DECIDING_FIELD = {"sample_size": "n_randomized", "duration": "duration_weeks", "year": "year", "direction": "direction",
                  "existence": "design", "study_content": "design", "trial_inconclusive": "direction"}
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
    return Verdict(verdict, f"{s['label']}: {n} {s['n_basis']} ({s['ref_id']}); claimed {fmt.quantity(claim['quantity'])}")


@check("duration")
def check_duration(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    if pd.isna(s["duration_weeks"]):
        return Verdict("unverifiable", f"{s['label']}: treatment duration is not in the data")
    claimed_weeks = claim["quantity"] * WEEKS_PER[claim["unit"]]
    actual = float(s["duration_weeks"])
    verdict = "consistent" if abs(claimed_weeks - actual) <= ABOUT_TOLERANCE * actual else compare_number(claimed_weeks, actual, "exact")
    return Verdict(verdict, f"{s['label']}: {fmt.as_printed(actual)} weeks of treatment; claimed {fmt.as_printed(claim['quantity'])} {claim['unit']} = {fmt.number(claimed_weeks, 0)} weeks")


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
        text = f"{s['label']}: {claim['outcome_id'].replace('_', ' ')} {fmt.as_printed(r['ai'])}/{fmt.as_printed(r['n1i'])} ({fmt.percent(bac)}) on baclofen vs {fmt.as_printed(r['ci'])}/{fmt.as_printed(r['n2i'])} ({fmt.percent(ctl)}) on placebo"
    else:
        bac, ctl = r["m1i"], r["m2i"]
        text = f"{s['label']}: {claim['outcome_id'].replace('_', ' ')} mean {fmt.as_printed(bac)} on baclofen vs {fmt.as_printed(ctl)} on placebo"
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
        return Verdict("unverifiable", f"{s['label']}: budget {fmt.quantity(b['source_amount'])} {b['source_currency']} ({b['ref_id']}); {note}")
    verdict = compare_number(claim["quantity"], amount, claim["qualifier"])
    converted = f" = {fmt.quantity(amount)} {cur} ({note})" if note else ""
    return Verdict(verdict, f"{s['label']}: budget {fmt.quantity(b['source_amount'])} {b['source_currency']} ({b['ref_id']}){converted}; "
                            f"claimed {fmt.quantity(claim['quantity'])} {claim['unit']}")


@check("cost_per_patient")
def check_cost_per_patient(ev: Evidence, claim: pd.Series) -> Verdict:
    s = _study(ev, claim)
    budget = _trial_budget(ev, claim["study_id"])
    if budget.empty or pd.isna(s["n_randomized"]):
        return Verdict("unverifiable", f"{s['label']}: no published budget, or no n, in the data")
    b = budget.iloc[0]
    per_patient = b["source_amount"] / int(s["n_randomized"])
    amount, cur, note = costs.convert(ev, per_patient, b["source_currency"], b["price_year"], claim["unit"])
    base = (f"{s['label']}: {fmt.quantity(b['source_amount'])} {b['source_currency']} / {int(s['n_randomized'])} randomized = "
            f"{fmt.quantity(per_patient)} {b['source_currency']} per patient")
    if cur != claim["unit"]:
        return Verdict("unverifiable", f"{base}; {note}")
    verdict = compare_number(claim["quantity"], amount, claim["qualifier"])
    converted = f" = {fmt.quantity(amount)} {cur} ({note})" if note else ""
    return Verdict(verdict, f"{base}{converted}; claimed {fmt.quantity(claim['quantity'])} {claim['unit']}")


@check("dose_range")
def check_dose_range(ev: Evidence, claim: pd.Series) -> Verdict:
    scoped = _scoped(ev, claim)
    scoped = scoped[scoped["dose_max_mg_day"].notna()]
    if scoped.empty:
        return Verdict("unverifiable", f"no {_scope_text(claim)} with a dose in the data")
    lo = float(scoped[["dose_min_mg_day", "dose_max_mg_day"]].min(axis=1).min())
    hi = float(scoped["dose_max_mg_day"].max())
    listing = "; ".join(f"{r.label}: {fmt.quantity(r.dose_max_mg_day)}" for r in scoped.itertuples())
    low_ok = abs(lo - claim["quantity"]) <= ABOUT_TOLERANCE * lo
    high_ok = hi > claim["quantity_high"] if claim["qualifier"] == "more_than" else abs(hi - claim["quantity_high"]) <= ABOUT_TOLERANCE * hi
    verdict = "consistent" if low_ok and high_ok else ("overstated" if claim["quantity_high"] > hi else "inconsistent")
    everywhere = _scoped(ev, claim.drop(labels=["scope_country"]).reindex(claim.index))
    above = everywhere[everywhere["dose_max_mg_day"] >= claim["quantity_high"]]
    elsewhere = "; ".join(f"{r.label} ({r.country})" for r in above.itertuples())
    text = f"{_scope_text(claim)}: doses {fmt.quantity(lo)}-{fmt.quantity(hi)} mg/day (maximum per trial: {listing})"
    if elsewhere:
        text += f"; RCTs anywhere reaching {fmt.quantity(claim['quantity_high'])} mg/day: {elsewhere}"
    return Verdict(verdict, f"{text}; claimed {fmt.quantity(claim['quantity'])} to {'over ' if claim['qualifier'] == 'more_than' else ''}{fmt.quantity(claim['quantity_high'])} mg/day")


@check("trial_count")
def check_trial_count(ev: Evidence, claim: pd.Series) -> Verdict:
    """Counted two ways: RCTs published by the date (the data, and each review of the time), and published plus
    completed-but-unpublished (where a review of the time gives both). The verdict names the rule that decides."""
    scoped = _scoped(ev, claim)
    n = len(scoped)
    published = compare_number(claim["quantity"], n, claim["qualifier"])
    text = f"rule 1, published trials: {n} {_scope_text(claim)} in the data ({', '.join(scoped['label'])}); claimed {fmt.quantity(claim['quantity'])}"
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
                            f"{fmt.quantity(claim['dose_threshold_mg_day'])} mg/day ({', '.join(high['label']) or 'none'}); claimed {fmt.quantity(claim['quantity'])}")


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


# ---------------------------------------------------------------- the body of evidence

# The efficacy outcomes a TSA can decide: dropout measures acceptability, not efficacy, and the overview's TSA
# is approximate (an SMD has no raw-scale difference), so neither can make baclofen "proven".
MAIN_OUTCOMES = ("relapse", "abstinence", "pct_days_abstinent")
# Cochrane Handbook 10.10.2: an I² of 50-90% "may represent substantial heterogeneity".
SUBSTANTIAL_I2 = 50.0
# Below three trials tau² and I² say little; a claim about the trials of an early year may rest on fewer.
MIN_TRIALS_FOR_HETEROGENEITY = 3
SIGNIFICANCE = 0.05
RATIO_ESTIMATES = ("OR", "RR", "HR")

# The analyses take about a second per package; every body-of-evidence claim reuses them.
_MEMO: dict[int, tuple[weakref.ref, dict]] = {}


def _memo(ev: Evidence) -> dict:
    hit = _MEMO.get(id(ev))
    if hit is None or hit[0]() is not ev:
        hit = (weakref.ref(ev), {})
        _MEMO[id(ev)] = hit
        weakref.finalize(ev, _MEMO.pop, id(ev), None)
    return hit[1]


@dataclass
class OutcomeEvidence:
    """One outcome's default meta-analysis, its coverage and, where it can be run, its TSA."""

    outcome_id: str
    ma: meta.MetaAnalysis
    coverage: cov.Coverage
    tsa: trial_sequential.TSA | None
    tsa_missing: str | None

    @property
    def label(self) -> str:
        return self.ma.outcome_label

    @property
    def broad(self) -> bool:
        return self.coverage.share is not None and not self.coverage.thin

    @property
    def firm(self) -> bool:
        """Firm evidence of benefit: a non-approximate TSA crosses its efficacy boundary and the analysis is broad."""
        return self.tsa is not None and not self.tsa.approximate and self.tsa.verdict == "firm_benefit" and self.broad

    @property
    def against(self) -> bool:
        """Firm evidence of no (anticipated) benefit or of harm, on a broad analysis."""
        return (self.tsa is not None and not self.tsa.approximate and self.tsa.verdict in ("futility", "firm_harm")
                and self.broad)

    def side(self) -> str | None:
        """'ci' when the pooled CI lies on baclofen's side, 'point' when only the estimate does, else 'no'."""
        r = self.ma.result
        if r is None:
            return None
        sign = 1 if self.ma.better == "higher" else -1
        if sign * r.ci_low > 0 and sign * r.ci_high > 0:
            return "ci"
        return "point" if sign * r.estimate > 0 else "no"


def outcome_evidence(ev: Evidence, outcome_id: str) -> OutcomeEvidence:
    memo = _memo(ev)
    if outcome_id not in memo:
        ma = meta.run(ev, outcome_id)
        t, missing = None, None
        if outcome_id not in trial_sequential.OUTCOMES:
            missing = "no TSA is run for this outcome"
        else:
            try:
                t = trial_sequential.run(ev, outcome_id)
            except ParameterError as exc:
                missing = f"no TSA: {exc}"
        memo[outcome_id] = OutcomeEvidence(outcome_id, ma, cov.coverage(ma), t, missing)
    return memo[outcome_id]


def _pooled_text(o: OutcomeEvidence) -> str:
    ma, r = o.ma, o.ma.result
    if r is None:
        return f"{o.label}: not pooled ({ma.reason_not_pooled})"
    name = "Hedges' g" if ma.kind == "overview" else ma.measure
    pi = "spans" if r.pi_low < 0 < r.pi_high else "excludes"
    return (f"{o.label}: pooled {name} {fmt.number(ma.scale(r.estimate))} (95% CI {fmt.number(ma.scale(r.ci_low))} to {fmt.number(ma.scale(r.ci_high))}, "
            f"{fmt.p_value(r.p)}), 95% prediction interval {fmt.number(ma.scale(r.pi_low))} to {fmt.number(ma.scale(r.pi_high))} ({pi} no effect), "
            f"I² = {fmt.number(r.i2, 0)}%, tau² = {fmt.significant(r.tau2)}; {o.coverage.sentence()}")


def _tsa_text(o: OutcomeEvidence) -> str:
    if o.tsa is None:
        return f"{o.label}: {o.tsa_missing}"
    t = o.tsa
    text = (f"{o.label}: TSA {t.verdict.replace('_', ' ')}, {fmt.count(t.accrued)} of {fmt.count(t.ris_adjusted)} required participants "
            f"(information fraction {fmt.percent(t.fraction)})")
    if t.approximate:
        text += ", approximate (SMD scale), never a firm verdict"
    elif t.verdict in ("firm_benefit", "futility", "firm_harm") and not o.broad:
        text += f", but on {o.coverage.sentence()}: under half of everyone randomized, so not counted as firm"
    else:
        text += f"; {o.coverage.sentence()}"
    return text


@check("evidence_conclusive")
def check_evidence_conclusive(ev: Evidence, claim: pd.Series) -> Verdict:
    """Is baclofen proven, promising, or not yet proven? Decided from the TSA of each main efficacy outcome (or of the
    claim's outcome_id) and the pooled result (the overview synthesis, or the claim's outcome).

    Firm evidence = a TSA efficacy boundary crossed for benefit on an outcome whose analysis holds at least half of
    everyone randomized in the placebo-controlled RCTs (the overview's TSA is approximate and never firm).
    * proven: consistent with firm evidence; otherwise overstated if the pooled CI lies on baclofen's side,
      inconsistent if it does not (or a broad TSA rejects the anticipated effect);
    * suggestive ('may help'): consistent if the pooled CI lies on baclofen's side, overstated if only the point
      estimate does, inconsistent otherwise;
    * not_proven ('more research is needed', 'data are limited'): consistent without firm evidence, inconsistent with it.
    """
    claimed = claim["claimed_value"]
    named = not pd.isna(claim["outcome_id"])
    if named and claim["outcome_id"] not in meta.analysis_outcomes(ev.descriptor):
        return Verdict("unverifiable", f"{claim['outcome_id'].replace('_', ' ')}: no analysis here pools this outcome "
                                       "(time-to-event results are not pooled)")
    outcomes = [outcome_evidence(ev, o) for o in ((claim["outcome_id"],) if named else MAIN_OUTCOMES)]
    pooled = outcomes[0] if named else outcome_evidence(ev, meta.OVERVIEW)
    if pooled.ma.result is None:
        return Verdict("unverifiable", f"{_pooled_text(pooled)}: nothing pooled can decide a claim about {pooled.label}")
    tsas = outcomes if named else outcomes + [pooled]
    firm = [o for o in outcomes if o.firm]
    against = [o for o in outcomes if o.against]
    side = pooled.side()
    if claimed == "proven":
        verdict = "consistent" if firm else ("overstated" if side == "ci" and not against else "inconsistent")
    elif claimed == "suggestive":
        verdict = "inconsistent" if against else {"ci": "consistent", "point": "overstated", "no": "inconsistent"}[side]
    else:
        verdict = "inconsistent" if firm else "consistent"
    where = "on the claim's outcome" if named else f"on a main efficacy outcome ({', '.join(MAIN_OUTCOMES)})"
    if firm:
        finding = f"firm evidence of benefit {where}: {', '.join(o.label for o in firm)}"
    else:
        finding = f"no TSA boundary crossed for benefit with broad coverage {where}"
    text = ("TSA: " + "; ".join(_tsa_text(o) for o in tsas) + ". Pooled: " + _pooled_text(pooled)
            + f". So {finding}; the pooled CI {'lies on' if side == 'ci' else 'does not lie wholly on'} baclofen's side"
            + f"; claimed {claimed.replace('_', ' ')}")
    return Verdict(verdict, text)


def _directions(ev: Evidence, as_of: float | None) -> pd.DataFrame:
    ref = cov.reference_set(ev.studies, "placebo")
    return ref if as_of is None or pd.isna(as_of) else ref[ref["year"] <= as_of]


@check("results_vary")
def check_results_vary(ev: Evidence, claim: pd.Series) -> Verdict:
    """Do the trials' results vary or conflict (claimed 'mixed')? Two tests, on the placebo-controlled RCTs (those
    published by as_of_year when given):

    * heterogeneity: the overview synthesis has I² of at least 50% and a 95% prediction interval spanning no effect
      (with fewer than three trials in it, not testable: the split decides alone);
    * split: the trials' own primary results (studies.direction) include both a benefit and no difference, harm
      or a mixed result; the signs of the per-trial overview effects are shown beside them.

    consistent when both hold (or the split, where heterogeneity is not testable), overstated when one holds,
    inconsistent when neither.
    """
    as_of = claim["as_of_year"]
    o = outcome_evidence(ev, meta.OVERVIEW)
    trials = o.ma.studies if pd.isna(as_of) or o.ma.studies.empty else o.ma.studies[o.ma.studies["year"] <= as_of]
    r = o.ma.result if pd.isna(as_of) else meta.rerun(o.ma, trials)
    scope = "" if pd.isna(as_of) else f" published by the end of {int(as_of)}"
    dirs = _directions(ev, as_of)
    if dirs.empty:
        return Verdict("unverifiable", f"no placebo-controlled RCT{scope} in the data")
    counts = dirs["direction"].value_counts()
    found = set(counts.index)
    split = bool(found & POSITIVE) and bool(found & (NULL | {"mixed"}))
    listing = ", ".join(f"{d.replace('_', ' ')}: {n}" for d, n in counts.items())
    text = f"the {len(dirs)} placebo-controlled RCTs{scope}, their own primary results: {listing} ({'split' if split else 'not split'})"
    if not trials.empty:
        pos, neg = int((trials["yi"] > 0).sum()), int((trials["yi"] < 0).sum())
        pos_sig, neg_sig = int((trials["ci_low"] > 0).sum()), int((trials["ci_high"] < 0).sum())
        text += (f"; per-trial overview effects (Hedges' g, {len(trials)} trials): {pos} favour baclofen ({pos_sig} with a CI "
                 f"excluding no effect), {neg} favour placebo ({neg_sig} with a CI excluding no effect)")
    if r is None or r.k < MIN_TRIALS_FOR_HETEROGENEITY:
        verdict = "consistent" if split else "inconsistent"
        text += (f"; heterogeneity not testable: {0 if r is None else r.k} trial(s){scope} in the overview synthesis "
                 f"(fewer than {MIN_TRIALS_FOR_HETEROGENEITY}), so the split decides")
    else:
        spans = r.pi_low < 0 < r.pi_high
        heterogeneous = r.i2 >= SUBSTANTIAL_I2 and spans
        verdict = "consistent" if heterogeneous and split else ("overstated" if heterogeneous or split else "inconsistent")
        text += (f"; overview synthesis{scope}: {r.k} trials, I² = {fmt.number(r.i2, 0)}%, tau² = {fmt.significant(r.tau2)}, 95% prediction interval "
                 f"{fmt.number(r.pi_low)} to {fmt.number(r.pi_high)} ({'spans' if spans else 'excludes'} no effect): "
                 f"{'substantial' if heterogeneous else 'not substantial'} heterogeneity (rule: I² ≥ {fmt.number(SUBSTANTIAL_I2, 0)}% "
                 "and a prediction interval spanning no effect)")
    return Verdict(verdict, text + f"; claimed {claim['claimed_value'].replace('_', ' ')}")


@check("few_trials_reason")
def check_few_trials_reason(ev: Evidence, claim: pd.Series) -> Verdict:
    """Why are there so few trials (claimed_value: the reason given)? Always unverifiable: the data hold trial
    budgets, grant awards and a count of trials, not funders' or researchers' reasons. The evidence shows what
    can be computed: the trials (published by as_of_year when given), what they are known to have cost per
    patient, and what settling each main outcome would cost (the TSA's missing participants priced at
    Bacloville's budget per randomized patient, with the range over every budget and award)."""
    as_of = claim["as_of_year"]
    scope = "" if pd.isna(as_of) else f" published by the end of {int(as_of)}"
    trials = _directions(ev, as_of)
    n = int(trials["n_randomized"].sum(min_count=1)) if trials["n_randomized"].notna().any() else 0
    parts = [f"the data hold {len(trials)} placebo-controlled RCTs{scope} ({fmt.count(n)} randomized)"]
    per_patient = settling.per_patient_costs(ev)
    if per_patient.empty:
        parts.append("no trial budget or grant award with a trial size")
    else:
        parts.append("known trial costs per randomized patient (every budget and award in the data): " + "; ".join(
            f"{r.label} {fmt.quantity(r.cost_per_patient)} {r.currency} ({r.basis})" for r in per_patient.itertuples()))
        spent = settling.spent(ev)
        parts.append(f"known trial spending {'at least ' if spent.lower_bound else ''}{fmt.quantity(spent.total)} {spent.currency}")
        for oid in MAIN_OUTCOMES:
            o = outcome_evidence(ev, oid)
            if o.tsa is None:
                parts.append(f"{o.label}: {o.tsa_missing}")
                continue
            left = settling.remaining(o.tsa.ris_adjusted, o.tsa.accrued)
            prices = settling.price_range(ev, left)
            lo, hi = min(p.amount for p in prices), max(p.amount for p in prices)
            default = settling.price(ev, left)
            parts.append(f"to settle {o.label} (TSA: {fmt.count(left)} more participants): {fmt.quantity(default.amount)} {default.currency} at "
                         f"{default.label}'s {default.basis} per patient (range {fmt.quantity(lo)} to {fmt.quantity(hi)})")
    reason = str(claim["claimed_value"]).replace("_", " ")
    return Verdict("unverifiable", "; ".join(parts) + f". The claimed reason ({reason}) is a motive of funders or researchers, "
                                                      "which no table here records: the causal part cannot be decided")


def _significant(e: pd.Series) -> tuple[bool | None, str]:
    """Whether one printed primary result shows a difference at 5%, from its exact p, else its CI, else a p bound."""
    parts = []
    if e["measure"] != "none" and not pd.isna(e["estimate"]):
        parts.append(f"{e['measure']} {fmt.as_printed(e['estimate'])}")
    ci = not pd.isna(e["ci_low"]) and not pd.isna(e["ci_high"])
    if ci:
        parts.append(f"95% CI {fmt.as_printed(e['ci_low'])} to {fmt.as_printed(e['ci_high'])}")
    if not pd.isna(e["stat_value"]):
        parts.append(f"{e['stat_kind']} {fmt.as_printed(e['stat_value'])}")
    if not pd.isna(e["p_value"]):
        parts.append(f"p {e['p_relation']} {fmt.as_printed(e['p_value'])}")
    text = ", ".join(parts) + f" ({e['ref_id']})"
    if not pd.isna(e["p_value"]) and e["p_relation"] == "=":
        return bool(e["p_value"] < SIGNIFICANCE), text
    if ci:
        null = 1.0 if e["measure"] in RATIO_ESTIMATES else 0.0
        return bool(e["ci_low"] > null or e["ci_high"] < null), text
    if not pd.isna(e["p_value"]):
        if e["p_relation"] in ("<", "<=") and e["p_value"] <= SIGNIFICANCE:
            return True, text
        if e["p_relation"] == ">" and e["p_value"] >= SIGNIFICANCE:
            return False, text
    return None, text


@check("trial_inconclusive")
def check_trial_inconclusive(ev: Evidence, claim: pd.Series) -> Verdict:
    """Was one trial's result inconclusive (or conclusive)? Its own primary result decides: the study-level results
    printed for its primary outcome (estimates.csv, whole population, not secondary), each significant at 5% or not;
    where they agree, they decide; otherwise its per-trial effect in the overview synthesis (CI excluding no effect
    or not); otherwise the authors' direction (no difference or mixed = inconclusive). Only the statistical result is
    tested, not the trial's risk of bias."""
    s = _study(ev, claim)
    primary = s["primary_outcome_id"]
    e = ev.estimates
    rows = e[(e["study_id"] == claim["study_id"]) & (e["outcome_id"] == primary) & (e["population"] != "subgroup")
             & ~e["secondary"].fillna(False).astype(bool)]
    tests = [_significant(r) for _, r in rows.iterrows()]
    decided = {sig for sig, _ in tests if sig is not None}
    where = f"{s['label']}: primary outcome {str(primary).replace('_', ' ')}; authors' direction {s['direction'].replace('_', ' ')}"
    shown = None
    if tests:
        where += "; printed: " + "; ".join(t for _, t in tests)
    if len(decided) == 1:
        shown, by = decided.pop(), "its printed primary result"
    o = outcome_evidence(ev, meta.OVERVIEW)
    hit = o.ma.studies[o.ma.studies["study_id"] == claim["study_id"]] if not o.ma.studies.empty else o.ma.studies
    if not hit.empty:
        h = hit.iloc[0]
        where += f"; in the overview synthesis: Hedges' g {fmt.number(h['yi'])} (95% CI {fmt.number(h['ci_low'])} to {fmt.number(h['ci_high'])})"
        if shown is None:
            shown, by = bool(h["ci_low"] > 0 or h["ci_high"] < 0), "its effect in the overview synthesis"
    if shown is None:
        if s["direction"] in POSITIVE | {"favours_control"}:
            shown, by = True, "the authors' direction only"
        elif s["direction"] in ("no_difference", "mixed"):
            shown, by = False, "the authors' direction only"
        else:
            return Verdict("unverifiable", f"{where}; no primary result in the data")
    claimed = claim["claimed_value"]
    verdict = "consistent" if shown == (claimed == "conclusive") else "inconsistent"
    found = "a difference was shown" if shown else "no difference was shown"
    says_shown = s["direction"] in POSITIVE | {"favours_control"}
    if by != "the authors' direction only" and s["direction"] in POSITIVE | NULL and says_shown != shown:
        # The numbers decide, but a reader comparing with the abstract should see why the two differ.
        found += f", although the authors' direction is {s['direction'].replace('_', ' ')}"
    return Verdict(verdict, f"{where}. Decided by {by}: {found} (its statistical result only; risk of bias is not "
                            f"assessed here); claimed {claimed}")


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
        source = source_ids.resolve(ev.sources, source)  # a short id (000) or a full one
        claims = claims[claims["source_id"] == source]
    rows = []
    for _, claim in claims.iterrows():
        v = decide(ev, claim)
        rows.append({"claim_id": claim["claim_id"], "source_id": claim["source_id"],
                     "study_id": None if pd.isna(claim["study_id"]) else claim["study_id"],
                     "topic": claim["topic"], "claim": claim["paraphrase"], "verdict": v.verdict, "evidence": v.evidence})
    return pd.DataFrame(rows, columns=["claim_id", "source_id", "study_id", "topic", "claim", "verdict", "evidence"])
