"""Which arms are compared with which: from the arms and outcomes tables to one row per comparison.

Two ways to treat trials with several baclofen doses (Cochrane Handbook, section 23.3.4):

* ``combined`` (the main analysis): all baclofen arms of a trial are merged into one group,
  so each trial contributes one comparison and its control group is counted once;
* ``split`` (dose subgroups and dose-response): each baclofen arm is its own comparison, and the
  shared control group is divided evenly among them (events and totals, or n, divided by the
  number of comparisons), so no participant is counted twice.

Each trial contributes its latest reported time point for the outcome (the end of treatment).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from baclofen_evidence import conversions as cv
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.rules import outcome_definitions
from baclofen_evidence import formatting as fmt

TREATMENT_ROLES = ("baclofen",)
CONTROL_ROLES = {"placebo": "placebo", "active": "active_comparator"}
MODES = ("combined", "split")


def outcome_kind(ev: Evidence, outcome_id: str) -> str:
    defs = outcome_definitions(ev.descriptor)
    if outcome_id not in defs:
        raise KeyError(f"unknown outcome {outcome_id!r}; known outcomes: {', '.join(defs)}")
    return defs[outcome_id]["kind"]


def combine_continuous(means, sds, ns) -> tuple[float, float, float]:
    """Mean, SD and n of groups merged into one (Cochrane Handbook, Table 6.5.a), merged pairwise."""
    m, s, n = float(means[0]), float(sds[0]), float(ns[0])
    for m2, s2, n2 in zip(means[1:], sds[1:], ns[1:]):
        total = n + n2
        s = math.sqrt(((n - 1) * s**2 + (n2 - 1) * s2**2 + n * n2 / total * (m**2 + m2**2 - 2 * m * m2)) / (total - 1))
        m = (n * m + n2 * m2) / total
        n = total
    return m, s, n


# Pages that report on a trial rather than being its report: press, digests and reviews, books, web pages.
SECONDARY_KINDS = ("press", "web", "book", "review", "seed")


def arm_values(ev: Evidence) -> pd.DataFrame:
    """outcomes.csv with what code derives from printed figures filled in and flagged.

    * events from a printed percentage of a printed denominator (the nearest whole count; the note
      gives every count that rounds to the same percentage), ``derived`` set;
    * SD from a printed SE as SE x sqrt(n) (Cochrane Handbook 6.5.2.2), an exact identity.
    Rows the data team marked as derived (value_status) keep their own derivation and flag.
    """
    out = ev.outcomes.copy()
    kinds = ev.references.drop_duplicates("ref_id").set_index("ref_id")["kind"]
    out["secondary"] = out["ref_id"].map(kinds).isin(SECONDARY_KINDS)
    out["derived"] = out["value_status"] == "derived"
    out["how"] = out["derivation"].where(out["derived"], "")
    for idx, o in out.iterrows():
        if pd.isna(o["total"]) and not pd.isna(o["events"]) and not pd.isna(o["percent"]) and o["percent"] > 0:
            total = int(round(100 * o["events"] / o["percent"]))
            try:
                _, fits = cv.counts_from_percent(float(o["percent"]), total)
            except cv.ConversionError:
                fits = []
            if int(o["events"]) in fits:
                out.at[idx, "total"] = total
                out.at[idx, "derived"] = True
                out.at[idx, "how"] = f"total = {int(o['events'])} / {fmt.as_printed(o['percent'])}% = {total} (the only denominator near it that gives {fmt.as_printed(o['percent'])}%)"
            else:
                out.at[idx, "how"] = f"not usable: {int(o['events'])} events and {fmt.as_printed(o['percent'])}% imply no whole denominator"
            continue
        if pd.isna(o["events"]) and not pd.isna(o["percent"]) and not pd.isna(o["total"]):
            try:
                events, fits = cv.counts_from_percent(float(o["percent"]), int(o["total"]))
            except cv.ConversionError as exc:
                out.at[idx, "how"] = f"not usable: {exc}"
                continue
            span = f"{fits[0]}" if len(fits) == 1 else f"{fits[0]} to {fits[-1]}"
            out.at[idx, "events"] = events
            out.at[idx, "derived"] = True
            out.at[idx, "how"] = (f"{fmt.as_printed(o['percent'])}% of {int(o['total'])} = {events} "
                                  f"(counts that round to {fmt.as_printed(o['percent'])}%: {span}; {cv.CITATIONS['percent_to_count']})")
        if pd.isna(o["sd"]) and not pd.isna(o["se"]) and not pd.isna(o["n"]):
            out.at[idx, "sd"] = cv.sd_from_se(float(o["se"]), float(o["n"]))
            out.at[idx, "how"] = f"SD = SE {fmt.as_printed(o['se'])} × √{int(o['n'])} ({cv.CITATIONS['se_to_sd']})"
    return out


def _latest(rows: pd.DataFrame) -> pd.DataFrame:
    latest = rows.groupby("study_id")["timepoint_weeks"].transform("max")
    return rows[rows["timepoint_weeks"] == latest]


def study_dose(study: pd.Series) -> float:
    """Dose for dose-response: the mean achieved dose where reported, else the target or maximum."""
    return study["dose_mean_mg_day"] if not pd.isna(study["dose_mean_mg_day"]) else study["dose_max_mg_day"]


def build(ev: Evidence, outcome_id: str, comparator: str = "placebo", mode: str = "combined") -> pd.DataFrame:
    """One row per comparison: counts (ai, n1i, ci, n2i) or summaries (m1i, sd1i, n1i, m2i, sd2i, n2i)."""
    if comparator not in CONTROL_ROLES:
        raise ValueError(f"comparator must be one of {', '.join(CONTROL_ROLES)}, not {comparator!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    kind = outcome_kind(ev, outcome_id)
    values = arm_values(ev)
    usable = values["events"].notna() & values["total"].notna() if kind == "binary" else \
        values["mean"].notna() & values["sd"].notna() & values["n"].notna()
    rows = _latest(values[(values["outcome_id"] == outcome_id) & usable])
    rows = rows.merge(ev.arms[["arm_id", "role", "label", "dose_mg_day"]].rename(columns={"label": "arm_label"}), on="arm_id")
    studies = ev.studies.set_index("study_id")
    out = []
    for sid, group in rows.groupby("study_id", sort=False):
        treat = group[group["role"].isin(TREATMENT_ROLES)]
        controls = group[group["role"] == CONTROL_ROLES[comparator]]
        if treat.empty or controls.empty:
            continue
        study = studies.loc[sid]
        treat_groups = [treat] if mode == "combined" else [treat.loc[[i]] for i in treat.index]
        n_comparisons = len(treat_groups) * len(controls)
        for t in treat_groups:
            for _, c in controls.iterrows():
                share_t = len(controls)  # a treatment group meets every control group
                share_c = len(treat_groups)  # a control group meets every treatment group
                row = {
                    "study_id": sid, "label": study["label"], "year": study["year"], "design": study["design"],
                    "country": study["country"], "duration_weeks": study["duration_weeks"],
                    "timepoint_weeks": float(t["timepoint_weeks"].iloc[0]),
                    "treatment": " + ".join(t["arm_label"]), "control": c["arm_label"],
                    "treatment_arms": ";".join(t["arm_id"]), "control_arm": c["arm_id"],
                    "dose_mg_day": float(t["dose_mg_day"].max()),
                    "n_comparisons_in_study": n_comparisons,
                    "route": "arm_level",
                    "derived": bool(t["derived"].any() or c["derived"]),
                    "secondary": bool(t["secondary"].any() or c["secondary"]),
                    "conversion": "; ".join(dict.fromkeys(h for h in list(t["how"]) + [c["how"]] if isinstance(h, str) and h)),
                }
                top_arm = float(t["dose_mg_day"].max()) == float(study["dose_max_mg_day"]) if not pd.isna(study["dose_max_mg_day"]) else True
                row["dose_for_regression"] = float(study_dose(study)) if top_arm else row["dose_mg_day"]
                if kind == "binary":
                    row.update(ai=t["events"].sum() / share_t, n1i=t["total"].sum() / share_t,
                               ci=c["events"] / share_c, n2i=c["total"] / share_c)
                else:
                    m1, s1, n1 = combine_continuous(list(t["mean"]), list(t["sd"]), list(t["n"]))
                    row.update(m1i=m1, sd1i=s1, n1i=n1 / share_t, m2i=float(c["mean"]), sd2i=float(c["sd"]),
                               n2i=float(c["n"]) / share_c)
                out.append(row)
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    for col in ("ai", "n1i", "ci", "n2i", "m1i", "sd1i", "m2i", "sd2i"):
        if col in frame:
            frame[col] = frame[col].astype(float)
    return frame.sort_values(["year", "study_id", "dose_mg_day"], kind="stable").reset_index(drop=True)


def participants(frame: pd.DataFrame) -> int:
    """Participants in the comparisons (shared control groups counted once): arm totals, or for a
    study-level result the analysed n it printed."""
    if frame.empty:
        return 0
    if "participants" in frame:
        return int(round(float(np.nansum(frame["participants"]))))
    return int(round(float(np.sum(frame["n1i"]) + np.sum(frame["n2i"]))))
