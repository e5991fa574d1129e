"""Cross-table rules that a Table Schema cannot express.

Each rule is a function of the loaded package returning every Problem it finds. A rule runs
only when every table it needs could be read, so a broken file elsewhere still lets the other
rules speak. Rules assume cell types are already checked (bad cells arrive as missing).
"""

from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd

from baclofen_evidence.descriptor import fields_of, primary_key, resource_by_name
from baclofen_evidence.evidence import Evidence
from baclofen_evidence.problems import Problem
from baclofen_evidence import formatting as fmt

Rule = Callable[[Evidence], Iterable[Problem]]
RULES: list[tuple[tuple[str, ...], Rule]] = []

EMPTY_REASONS = {"not_reported", "not_found", "not_applicable"}
KEY_SEPARATOR = "|"


def rule(*tables: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((tables, fn))
        return fn

    return register


def check_all(evidence: Evidence) -> list[Problem]:
    problems: list[Problem] = []
    for tables, fn in RULES:
        if all(t in evidence.tables for t in tables):
            problems.extend(fn(evidence))
    return problems


def outcome_definitions(descriptor: dict) -> dict[str, dict]:
    """Kind (binary/continuous), direction of benefit and label of each outcome id."""
    return resource_by_name(descriptor, "outcomes")["outcomeDefinitions"]


def _row(rownum) -> int:
    return int(rownum)


def _unique(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Index by a key column; duplicate keys are reported by the schema check, so keep the first."""
    return frame.dropna(subset=[key]).drop_duplicates(key).set_index(key)


# ---------------------------------------------------------------- studies and arms


@rule("studies", "arms")
def arms_add_up(ev: Evidence) -> Iterable[Problem]:
    """The arms of a study add up to the study's n."""
    complete = ev.arms.groupby("study_id")["n_randomized"].apply(lambda s: s.notna().all())
    sums = ev.arms.groupby("study_id")["n_randomized"].sum()
    rows = ev.arms.reset_index().groupby("study_id")["row"].apply(list)
    for rownum, study in ev.studies.iterrows():
        sid, n = study["study_id"], study["n_randomized"]
        if sid in sums.index and complete[sid] and not pd.isna(n) and int(sums[sid]) != int(n):
            arm_rows = ", ".join(map(str, rows[sid]))
            yield Problem(ev.file_of("studies"), _row(rownum), "n_randomized",
                          f"arms of {sid} add up to {int(sums[sid])} (arms.csv rows {arm_rows}) but n_randomized is {int(n)}")


@rule("studies")
def dose_bounds(ev: Evidence) -> Iterable[Problem]:
    """Minimum dose <= maximum dose, and the mean achieved dose stays within the maximum."""
    for rownum, s in ev.studies.iterrows():
        lo, hi, mean = s["dose_min_mg_day"], s["dose_max_mg_day"], s["dose_mean_mg_day"]
        if not pd.isna(lo) and not pd.isna(hi) and lo > hi:
            yield Problem(ev.file_of("studies"), _row(rownum), "dose_min_mg_day",
                          f"minimum dose {fmt.dose(lo)} is above the maximum dose {fmt.dose(hi)}")
        if not pd.isna(mean) and not pd.isna(hi) and mean > hi:
            yield Problem(ev.file_of("studies"), _row(rownum), "dose_mean_mg_day",
                          f"mean achieved dose {fmt.dose(mean)} is above the maximum dose {fmt.dose(hi)}")


@rule("arms")
def arm_doses(ev: Evidence) -> Iterable[Problem]:
    """Placebo and active-comparator arms carry 0 mg/day baclofen; baclofen arms more than 0."""
    for rownum, a in ev.arms.iterrows():
        dose = a["dose_mg_day"]
        if pd.isna(dose):
            continue
        if a["role"] in ("placebo", "active_comparator") and dose != 0:
            yield Problem(ev.file_of("arms"), _row(rownum), "dose_mg_day",
                          f"a {a['role'].replace('_', ' ')} arm must have baclofen dose 0, not {fmt.as_printed(dose)}")
        if a["role"] in ("baclofen", "combination") and dose <= 0:
            yield Problem(ev.file_of("arms"), _row(rownum), "dose_mg_day", "a baclofen arm needs a dose above 0 mg/day")


@rule("studies", "arms")
def study_dose_matches_arms(ev: Evidence) -> Iterable[Problem]:
    """The study's maximum dose is its highest baclofen arm's dose."""
    active = ev.arms[ev.arms["role"].isin(["baclofen", "combination"])]
    top = active.groupby("study_id")["dose_mg_day"].max()
    for rownum, s in ev.studies.iterrows():
        sid, hi = s["study_id"], s["dose_max_mg_day"]
        if sid in top.index and not pd.isna(hi) and not pd.isna(top[sid]) and float(top[sid]) != float(hi):
            yield Problem(ev.file_of("studies"), _row(rownum), "dose_max_mg_day",
                          f"dose_max_mg_day is {fmt.as_printed(hi)} but the highest baclofen arm of {sid} has {fmt.dose(top[sid])}")


@rule("studies", "arms")
def randomized_designs_have_arms(ev: Evidence) -> Iterable[Problem]:
    """An RCT has at least two arms, one of them its named comparator."""
    for rownum, s in ev.studies[ev.studies["design"] == "rct"].iterrows():
        arms = ev.arms[ev.arms["study_id"] == s["study_id"]]
        if len(arms) < 2:
            yield Problem(ev.file_of("studies"), _row(rownum), "design",
                          f"an RCT needs at least two rows in arms.csv; {s['study_id']} has {len(arms)}")
            continue
        wanted = {"placebo": "placebo", "active": "active_comparator"}.get(s["comparator"])
        if wanted and wanted not in set(arms["role"]):
            yield Problem(ev.file_of("studies"), _row(rownum), "comparator",
                          f"comparator is {s['comparator']} but no arm of {s['study_id']} has role {wanted}")


@rule("studies", "references")
def studies_are_identifiable(ev: Evidence) -> Iterable[Problem]:
    """Every study is cited by a reference and can be found again by a DOI, PMID, registration or page."""
    urls = _unique(ev.references, "ref_id")["url"]
    for rownum, s in ev.studies.iterrows():
        has_id = any(not pd.isna(s[c]) for c in ("doi", "pmid", "registration"))
        if not has_id and pd.isna(urls.get(s["ref_id"])):
            yield Problem(ev.file_of("studies"), _row(rownum), "ref_id",
                          f"{s['study_id']} has no DOI, PMID or registration, and its reference has no URL")


@rule("studies", "references")
def cross_checks_exist(ev: Evidence) -> Iterable[Problem]:
    known = set(ev.references["ref_id"])
    for rownum, s in ev.studies.iterrows():
        if pd.isna(s["checked_against"]):
            continue
        for ref in str(s["checked_against"]).split(";"):
            ref = ref.strip()
            if ref and ref not in known:
                yield Problem(ev.file_of("studies"), _row(rownum), "checked_against",
                              f"{ref!r} points at nothing: no such ref_id in references.csv")


# ---------------------------------------------------------------- outcomes


@rule("outcomes", "arms")
def outcome_arm_belongs_to_study(ev: Evidence) -> Iterable[Problem]:
    arm_study = _unique(ev.arms, "arm_id")["study_id"]
    for rownum, o in ev.outcomes.iterrows():
        owner = arm_study.get(o["arm_id"])
        if owner is not None and not pd.isna(o["study_id"]) and owner != o["study_id"]:
            yield Problem(ev.file_of("outcomes"), _row(rownum), "arm_id",
                          f"arm {o['arm_id']} belongs to {owner}, not to {o['study_id']}")


@rule("outcomes")
def outcome_values_fit_kind(ev: Evidence) -> Iterable[Problem]:
    """Binary outcomes hold events and/or a percentage with a total, continuous ones a mean with an SD or
    SE and n where printed; events <= total; percentages <= 100; time-to-event outcomes are study-level only."""
    defs = outcome_definitions(ev.descriptor)
    file = ev.file_of("outcomes")
    for rownum, o in ev.outcomes.iterrows():
        d = defs.get(o["outcome_id"])
        if d is None:
            continue
        row = _row(rownum)
        if d["kind"] == "binary":
            if pd.isna(o["events"]) and pd.isna(o["percent"]):
                yield Problem(file, row, "events", f"{o['outcome_id']} is binary: events, or a printed percentage, are needed")
            if not pd.isna(o["events"]) and pd.isna(o["total"]) and pd.isna(o["percent"]):
                yield Problem(file, row, "total", f"{o['outcome_id']} is binary: events need their total, or the printed percentage they are of")
            for col in ("mean", "sd", "se", "n"):
                if not pd.isna(o[col]):
                    yield Problem(file, row, col, f"{o['outcome_id']} is binary: {col} belongs to continuous outcomes")
            if not pd.isna(o["events"]) and not pd.isna(o["total"]) and o["events"] > o["total"]:
                yield Problem(file, row, "events", f"events ({o['events']}) exceed the total ({o['total']})")
            if not any(pd.isna(o[c]) for c in ("events", "total", "percent")) and o["total"] > 0:
                implied = 100 * o["events"] / o["total"]
                if abs(implied - o["percent"]) >= 1:
                    yield Problem(file, row, "percent",
                                  f"percent {fmt.as_printed(o['percent'])} does not match events/total = {o['events']}/{o['total']} = {fmt.number(implied, 1)}%")
        elif d["kind"] == "continuous":
            if pd.isna(o["mean"]):
                yield Problem(file, row, "mean", f"{o['outcome_id']} is continuous: a mean is needed")
            if not pd.isna(o["sd"]) and not pd.isna(o["se"]):
                yield Problem(file, row, "se", "give the SD or the SE as printed, not both (the SD is computed from the SE in code)")
            for col in ("events", "total", "percent"):
                if not pd.isna(o[col]):
                    yield Problem(file, row, col, f"{o['outcome_id']} is continuous: {col} belongs to binary outcomes")
            top = d.get("maximum")
            if top is not None and not pd.isna(o["mean"]) and o["mean"] > top:
                yield Problem(file, row, "mean", f"{o['outcome_id']} is a percentage: mean {fmt.as_printed(o['mean'])} is above {top}")
        else:
            yield Problem(file, row, "outcome_id", f"{o['outcome_id']} is a {d['kind'].replace('_', '-')} outcome: it belongs in estimates.csv, not per arm")


def _derivations_given(ev: Evidence, table: str) -> Iterable[Problem]:
    frame = ev.tables[table]
    for rownum in frame.index[(frame["value_status"] == "derived") & frame["derivation"].isna()]:
        yield Problem(ev.file_of(table), _row(rownum), "derivation", "a derived value must say how it was derived")


@rule("outcomes")
def outcome_derivations_given(ev: Evidence) -> Iterable[Problem]:
    return _derivations_given(ev, "outcomes")


@rule("estimates")
def estimate_derivations_given(ev: Evidence) -> Iterable[Problem]:
    return _derivations_given(ev, "estimates")


@rule("outcomes", "arms")
def outcome_totals_within_arm(ev: Evidence) -> Iterable[Problem]:
    arm_n = _unique(ev.arms, "arm_id")["n_randomized"]
    for rownum, o in ev.outcomes.iterrows():
        limit = arm_n.get(o["arm_id"])
        for col in ("total", "n"):
            if limit is not None and not pd.isna(limit) and not pd.isna(o[col]) and o[col] > limit:
                yield Problem(ev.file_of("outcomes"), _row(rownum), col,
                              f"{col} ({o[col]}) exceeds the {limit} participants randomized to arm {o['arm_id']}")


# ---------------------------------------------------------------- study-level results


RATIO_MEASURES = ("OR", "RR", "HR")


@rule("estimates", "arms")
def estimate_arms_belong_to_study(ev: Evidence) -> Iterable[Problem]:
    arm_study = _unique(ev.arms, "arm_id")["study_id"]
    file = ev.file_of("estimates")
    for rownum, e in ev.estimates.iterrows():
        for col in ("treatment_arms", "control_arms"):
            if pd.isna(e[col]):
                continue
            for arm in str(e[col]).split(";"):
                owner = arm_study.get(arm)
                if owner is None:
                    yield Problem(file, _row(rownum), col, f"arm {arm!r} is not in {ev.file_of('arms')}")
                elif not pd.isna(e["study_id"]) and owner != e["study_id"]:
                    yield Problem(file, _row(rownum), col, f"arm {arm} belongs to {owner}, not to {e['study_id']}")
        if not pd.isna(e["treatment_arms"]) and not pd.isna(e["control_arms"]) and \
                set(str(e["treatment_arms"]).split(";")) & set(str(e["control_arms"]).split(";")):
            yield Problem(file, _row(rownum), "control_arms", "an arm cannot be on both sides of a comparison")


@rule("estimates")
def estimate_values_are_coherent(ev: Evidence) -> Iterable[Problem]:
    """The CI contains the estimate (ratios positive), SE > 0, p in (0, 1] with its relation, df > 0,
    a statistic with its kind, and an estimate with its measure."""
    file = ev.file_of("estimates")
    for rownum, e in ev.estimates.iterrows():
        row = _row(rownum)
        measure = e["measure"]
        if measure == "none" and not pd.isna(e["estimate"]):
            yield Problem(file, row, "measure", "an estimate needs its measure (OR, RR, RD, HR, MD, d or g)")
        if measure not in ("none", None) and not pd.isna(measure) and pd.isna(e["estimate"]):
            yield Problem(file, row, "estimate", f"measure {measure} but no estimate")
        if measure in RATIO_MEASURES:
            for col in ("estimate", "ci_low", "ci_high"):
                if not pd.isna(e[col]) and e[col] <= 0:
                    yield Problem(file, row, col, f"a {measure} is a ratio: {fmt.as_printed(e[col])} must be above 0")
        if pd.isna(e["ci_low"]) != pd.isna(e["ci_high"]):
            yield Problem(file, row, "ci_high" if pd.isna(e["ci_high"]) else "ci_low", "a confidence interval needs both limits")
        elif not pd.isna(e["ci_low"]):
            if e["ci_low"] >= e["ci_high"]:
                yield Problem(file, row, "ci_high", f"the upper limit {fmt.as_printed(e['ci_high'])} is not above the lower limit {fmt.as_printed(e['ci_low'])}")
            elif not pd.isna(e["estimate"]):
                shown = abs(e["estimate"]) if e["orientation"] == "magnitude" else e["estimate"]
                inside = e["ci_low"] <= shown <= e["ci_high"] or (e["orientation"] == "magnitude" and e["ci_low"] <= -shown <= e["ci_high"])
                if not inside:
                    yield Problem(file, row, "estimate", f"{fmt.as_printed(e['estimate'])} lies outside its CI {fmt.as_printed(e['ci_low'])} to {fmt.as_printed(e['ci_high'])}")
        if not pd.isna(e["se"]) and e["se"] <= 0:
            yield Problem(file, row, "se", f"an SE must be above 0, not {fmt.as_printed(e['se'])}")
        if not pd.isna(e["p_value"]):
            if e["p_value"] <= 0:
                yield Problem(file, row, "p_value", f"a p-value must be above 0, not {fmt.as_printed(e['p_value'])}")
            if pd.isna(e["p_relation"]):
                yield Problem(file, row, "p_relation", "say whether the p-value is exact (=) or a bound (<, <=, >)")
        elif not pd.isna(e["p_relation"]):
            yield Problem(file, row, "p_value", "a p relation without a p-value")
        for col in ("df1", "df2"):
            if not pd.isna(e[col]) and e[col] <= 0:
                yield Problem(file, row, col, f"degrees of freedom must be above 0, not {fmt.as_printed(e[col])}")
        if pd.isna(e["stat_kind"]) != pd.isna(e["stat_value"]):
            yield Problem(file, row, "stat_kind" if pd.isna(e["stat_kind"]) else "stat_value", "a test statistic needs both its kind and its value")
        if e["stat_kind"] == "F" and not pd.isna(e["stat_value"]) and pd.isna(e["df1"]):
            yield Problem(file, row, "df1", "an F statistic needs its numerator degrees of freedom")
        if e["stat_kind"] in ("F", "chi2") and not pd.isna(e["stat_value"]) and e["stat_value"] < 0:
            yield Problem(file, row, "stat_value", f"a {e['stat_kind']} statistic cannot be negative")


@rule("estimates", "arms")
def estimate_n_within_randomized(ev: Evidence) -> Iterable[Problem]:
    """n analysed is at most the participants randomized to the arms compared (where all are known)."""
    arm_n = _unique(ev.arms, "arm_id")["n_randomized"]
    file = ev.file_of("estimates")
    for rownum, e in ev.estimates.iterrows():
        sides = {}
        for col in ("treatment_arms", "control_arms"):
            arms = [] if pd.isna(e[col]) else str(e[col]).split(";")
            ns = [arm_n.get(a) for a in arms]
            sides[col] = sum(ns) if ns and all(n is not None and not pd.isna(n) for n in ns) else None
        for col, side in (("n_treatment", "treatment_arms"), ("n_control", "control_arms")):
            if sides[side] is not None and not pd.isna(e[col]) and e[col] > sides[side]:
                yield Problem(file, _row(rownum), col, f"{col} ({e[col]}) exceeds the {sides[side]} randomized to {e[side]}")
        if None not in sides.values() and not pd.isna(e["n_analysed"]) and e["n_analysed"] > sides["treatment_arms"] + sides["control_arms"]:
            yield Problem(file, _row(rownum), "n_analysed",
                          f"n_analysed ({e['n_analysed']}) exceeds the {sides['treatment_arms'] + sides['control_arms']} randomized to the arms compared")
        if not any(pd.isna(e[c]) for c in ("n_analysed", "n_treatment", "n_control")) and e["n_treatment"] + e["n_control"] != e["n_analysed"]:
            yield Problem(file, _row(rownum), "n_analysed",
                          f"n_analysed ({e['n_analysed']}) is not n_treatment + n_control ({e['n_treatment']} + {e['n_control']})")


# ---------------------------------------------------------------- provenance and missing values


def _row_keys(ev: Evidence, table: str) -> set[str]:
    pk = primary_key(ev.resource(table))
    # A key cell that failed its type check arrives empty; that row is already reported, so it has no key.
    frame = ev.tables[table][pk].dropna().astype(str)
    return set(frame.agg(KEY_SEPARATOR.join, axis=1)) if len(frame) else set()


@rule("provenance", "studies", "arms", "outcomes", "costs")
def provenance_points_at_cells(ev: Evidence) -> Iterable[Problem]:
    file = ev.file_of("provenance")
    keys = {t: _row_keys(ev, t) for t in ("studies", "arms", "outcomes", "costs")}
    columns = {t: {f["name"] for f in fields_of(ev.resource(t))} for t in keys}
    for rownum, p in ev.provenance.iterrows():
        table = p["table"]
        if table not in keys:
            continue
        if p["row_key"] not in keys[table]:
            yield Problem(file, _row(rownum), "row_key", f"{p['row_key']!r} points at nothing: no such row in {ev.file_of(table)}")
        if p["field"] not in columns[table]:
            yield Problem(file, _row(rownum), "field", f"{p['field']!r} is not a column of {ev.file_of(table)}")
        if p["status"] in ("reported", "derived") and pd.isna(p["ref_id"]):
            yield Problem(file, _row(rownum), "ref_id", f"a {p['status']} value needs the reference it comes from")
        if p["status"] in EMPTY_REASONS and pd.isna(p["note"]):
            yield Problem(file, _row(rownum), "note", f"status {p['status']} needs a note saying why the value is empty")


@rule("provenance")
def empty_values_have_reasons(ev: Evidence) -> Iterable[Problem]:
    """A value left empty where datapackage.json says it needs a reason has one in provenance.csv."""
    prov = ev.provenance[ev.provenance["status"].isin(EMPTY_REASONS)]
    explained = set(zip(prov["table"], prov["row_key"], prov["field"]))
    for res in ev.descriptor["resources"]:
        fields = res.get("emptyValuesNeedReason", [])
        table = res["name"]
        if not fields or table not in ev.tables:
            continue
        pk = primary_key(res)
        for rownum, row in ev.tables[table].iterrows():
            key = KEY_SEPARATOR.join(str(row[c]) for c in pk)
            for col in fields:
                if pd.isna(row[col]) and (table, key, col) not in explained:
                    yield Problem(ev.file_of(table), _row(rownum), col,
                                  f"empty without a reason: add a provenance.csv row ({table}, {key}, {col}) saying why")


# ---------------------------------------------------------------- costs and claims


@rule("costs")
def drug_prices_are_complete(ev: Evidence) -> Iterable[Problem]:
    for rownum, c in ev.costs.iterrows():
        if pd.isna(c["item"]):  # reported as a required value that is empty
            continue
        if c["item"] == "drug_price":
            if pd.isna(c["strength_mg"]):
                yield Problem(ev.file_of("costs"), _row(rownum), "strength_mg", "a drug price needs the tablet strength")
            if c["unit"] == "pack" and pd.isna(c["pack_size"]):
                yield Problem(ev.file_of("costs"), _row(rownum), "pack_size", "a pack price needs the pack size")
            if c["unit"] == "total":
                yield Problem(ev.file_of("costs"), _row(rownum), "unit", "a drug price is per pack or per tablet, not a total")
        elif c["unit"] != "total":
            yield Problem(ev.file_of("costs"), _row(rownum), "unit", f"a {c['item'].replace('_', ' ')} is a total amount")


# What each claim check needs filled in; claims.py computes the verdicts from these.
CLAIM_NEEDS = {
    "sample_size": ("study_id", "quantity"),
    "duration": ("study_id", "quantity", "unit"),
    "year": ("study_id", "quantity"),
    "direction": ("claimed_value",),
    "outcome_direction": ("study_id", "outcome_id", "claimed_value"),
    "existence": ("study_id",),
    "cost_total": ("study_id", "quantity", "unit"),
    "cost_per_patient": ("study_id", "quantity", "unit"),
    "dose_range": ("quantity", "quantity_high", "scope_country"),
    "trial_count": ("quantity", "as_of_year"),
    "high_dose_trial_count": ("quantity", "as_of_year", "dose_threshold_mg_day"),
    "unverifiable": (),
    "evidence_conclusive": ("claimed_value",),
    "results_vary": ("claimed_value",),
    "few_trials_reason": ("claimed_value",),
    "trial_inconclusive": ("study_id", "claimed_value"),
}
# The words a body-of-evidence check understands in claimed_value (claims.py gives each its rule).
CLAIMED_VALUES = {
    "evidence_conclusive": ("proven", "suggestive", "not_proven"),
    "results_vary": ("mixed",),
    "trial_inconclusive": ("inconclusive", "conclusive"),
}


@rule("claims")
def claims_are_checkable(ev: Evidence) -> Iterable[Problem]:
    for rownum, c in ev.claims.iterrows():
        for col in CLAIM_NEEDS.get(c["check_kind"], ()):
            if pd.isna(c[col]):
                yield Problem(ev.file_of("claims"), _row(rownum), col, f"a {c['check_kind']} check needs {col}")
        allowed = CLAIMED_VALUES.get(c["check_kind"])
        if allowed and not pd.isna(c["claimed_value"]) and c["claimed_value"] not in allowed:
            yield Problem(ev.file_of("claims"), _row(rownum), "claimed_value",
                          f"the {c['check_kind']} check understands {', '.join(allowed)}, not {c['claimed_value']!r}")
        if c["check_kind"] == "direction" and pd.isna(c["study_id"]) and pd.isna(c["as_of_year"]) and pd.isna(c["scope_country"]):
            yield Problem(ev.file_of("claims"), _row(rownum), "study_id",
                          "a direction check needs a study, or a set of studies (scope_country and/or as_of_year)")


# ---------------------------------------------------------------- values the schema lets through but the analysis cannot use

# Baclofen was first synthesised in 1962; no study, price or article about it can be older.
EARLIEST_YEAR = 1960
# A registered trial or a forecast price may name next year; anything later is a typo.
LATEST_YEAR_AHEAD = 1


def _latest_year() -> int:
    import datetime

    return datetime.date.today().year + LATEST_YEAR_AHEAD


@rule("outcomes")
def sds_are_positive(ev: Evidence) -> Iterable[Problem]:
    """A standard deviation (or standard error) of 0 gives a study infinite weight (its variance is 0)."""
    for rownum, o in ev.outcomes.iterrows():
        for col, name in (("sd", "standard deviation"), ("se", "standard error")):
            if not pd.isna(o[col]) and o[col] <= 0:
                yield Problem(ev.file_of("outcomes"), _row(rownum), col,
                              f"{name} {fmt.as_printed(o[col])} must be above 0 (a zero {col.upper()} would give this arm infinite weight)")


@rule("costs")
def prices_are_positive(ev: Evidence) -> Iterable[Problem]:
    """Costs per patient divide by the price's tablet strength; a zero price or strength makes them 0 or infinite."""
    for rownum, c in ev.costs.iterrows():
        if c["item"] != "drug_price":
            continue
        if not pd.isna(c["amount"]) and c["amount"] <= 0:
            yield Problem(ev.file_of("costs"), _row(rownum), "amount", f"a drug price must be above 0, not {fmt.as_printed(c['amount'])}")
        if not pd.isna(c["strength_mg"]) and c["strength_mg"] <= 0:
            yield Problem(ev.file_of("costs"), _row(rownum), "strength_mg",
                          f"a tablet strength must be above 0 mg, not {fmt.as_printed(c['strength_mg'])}")


@rule("exchange_rates")
def exchange_rates_are_positive(ev: Evidence) -> Iterable[Problem]:
    for rownum, r in ev.exchange_rates.iterrows():
        if not pd.isna(r["rate"]) and r["rate"] <= 0:
            yield Problem(ev.file_of("exchange_rates"), _row(rownum), "rate",
                          f"an exchange rate must be above 0, not {fmt.as_printed(r['rate'])}")


@rule("claims")
def claimed_ranges_are_ordered(ev: Evidence) -> Iterable[Problem]:
    for rownum, c in ev.claims.iterrows():
        lo, hi = c["quantity"], c["quantity_high"]
        if not pd.isna(lo) and not pd.isna(hi) and hi < lo:
            yield Problem(ev.file_of("claims"), _row(rownum), "quantity_high",
                          f"the upper end of the claimed range ({fmt.as_printed(hi)}) is below its lower end ({fmt.as_printed(lo)})")


@rule()
def years_are_plausible(ev: Evidence) -> Iterable[Problem]:
    """Every column typed `year` in datapackage.json lies between 1960 and next year."""
    latest = _latest_year()
    for res in ev.descriptor["resources"]:
        frame = ev.tables.get(res["name"])
        if frame is None:
            continue
        for f in fields_of(res):
            if f.get("type") != "year":
                continue
            for rownum, year in frame[f["name"]].items():
                if not pd.isna(year) and not EARLIEST_YEAR <= year <= latest:
                    yield Problem(res["path"], _row(rownum), f["name"],
                                  f"year {int(year)} is not plausible here: expected {EARLIEST_YEAR} to {latest}")
