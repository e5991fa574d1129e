"""Study-level views of the package: the evidence table that the CLI and the notebooks show."""

from __future__ import annotations

import pandas as pd

from baclofen_evidence.datapackage import Evidence

# Columns of the readable study table, in order.
TABLE_COLUMNS = ["study_id", "label", "design", "country", "n_randomized", "duration_weeks",
                 "dose_max_mg_day", "dose_mean_mg_day", "direction"]


def plain(value):
    """A JSON-ready scalar: pandas NA/NaN become None, numpy numbers become Python ones."""
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def mentioned_by(ev: Evidence) -> dict[str, list[str]]:
    grouped = ev.mentions.groupby("study_id")["source_id"].apply(lambda s: sorted(s))
    return grouped.to_dict()


def study_records(ev: Evidence) -> list[dict]:
    """One dict per study, with its arms and the sources that mention it."""
    mentions = mentioned_by(ev)
    arms = ev.arms.groupby("study_id")
    records = []
    for _, s in ev.studies.sort_values(["year", "study_id"]).iterrows():
        rec = {k: plain(v) for k, v in s.items()}
        sid = s["study_id"]
        rec["arms"] = []
        if sid in arms.groups:
            for _, a in arms.get_group(sid).iterrows():
                rec["arms"].append({"arm_id": a["arm_id"], "label": a["label"], "role": a["role"],
                                    "dose_mg_day": plain(a["dose_mg_day"]), "n": plain(a["n_randomized"])})
        rec["mentioned_by"] = mentions.get(sid, [])
        records.append(rec)
    return records


def study_table(ev: Evidence) -> pd.DataFrame:
    table = ev.studies.sort_values(["year", "study_id"])[TABLE_COLUMNS].reset_index(drop=True)
    mentions = mentioned_by(ev)
    table["mentioned_by"] = [len(mentions.get(s, [])) for s in table["study_id"]]
    return table
