"""How much of the randomized evidence a pooled result rests on, and why each trial is in or out.

The reference set is every randomized controlled trial of baclofen for alcohol dependence in the
data package with the analysis's comparator (placebo unless stated). A pooled result states its
trials, its participants, and their share of everyone randomized in that set; the PRISMA-style
table gives each trial of the set as "in this analysis" (with its route) or the reason it is not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
from baclofen_evidence import formatting as fmt

HALF = 0.5


def reference_set(studies: pd.DataFrame, comparator: str) -> pd.DataFrame:
    """RCTs of baclofen for alcohol dependence with this comparator (placebo or active)."""
    rcts = studies[(studies["design"] == "rct") & (studies["substance"] == "alcohol")]
    return rcts[rcts["comparator"] == comparator].sort_values(["year", "study_id"], kind="stable")


@dataclass
class Coverage:
    trials: int
    participants: int
    reference_trials: int
    reference_randomized: int
    randomized_unknown: list[str]  # trials of the set whose randomized n is not in the data
    share: float | None  # participants / reference_randomized
    comparator: str = "placebo"

    @property
    def reference_label(self) -> str:
        return f"{self.comparator}-controlled RCTs"

    @property
    def thin(self) -> bool:
        return self.share is not None and self.share < HALF


    def sentence(self) -> str:
        share = "" if self.share is None else f" ({fmt.percent(self.share)} of the {fmt.count(self.reference_randomized)} randomized in the {self.reference_trials} {self.reference_label} of the data package)"
        return f"{self.trials} of {self.reference_trials} trials, {fmt.count(self.participants)} participants{share}"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items()}


def coverage(ma) -> Coverage:
    ref = reference_set(ma.eligible_studies, ma.comparator)
    in_ref = ma.studies[ma.studies["study_id"].isin(ref["study_id"])] if not ma.studies.empty else ma.studies
    participants = int(round(float(in_ref["participants"].sum()))) if not in_ref.empty else 0
    total = int(ref["n_randomized"].sum(min_count=1)) if ref["n_randomized"].notna().any() else 0
    unknown = list(ref.loc[ref["n_randomized"].isna(), "study_id"])
    return Coverage(int(in_ref["study_id"].nunique()) if not in_ref.empty else 0, participants, len(ref), total, unknown,
                    participants / total if total else None, ma.comparator)


def flow(ma) -> pd.DataFrame:
    """Every RCT of the reference set (and the RCTs with another comparator) as in, or out with the reason."""
    studies = ma.eligible_studies
    inside = ma.studies.drop_duplicates("study_id").set_index("study_id") if not ma.studies.empty else pd.DataFrame()
    settings = ma.filtered_out.drop_duplicates("study_id").set_index("study_id") if not ma.filtered_out.empty else pd.DataFrame()
    dropped = ma.dropped.drop_duplicates("study_id").set_index("study_id") if not ma.dropped.empty else pd.DataFrame()
    rows = []
    rcts = studies[(studies["design"].isin(["rct", "quasi_randomized"])) & (studies["substance"] == "alcohol")]
    for s in rcts.sort_values(["year", "study_id"], kind="stable").itertuples():
        if s.design != "rct":
            status, why = "not in", "not randomized (quasi-randomized allocation)"
        elif s.comparator != ma.comparator:
            status, why = "not in", f"not {ma.comparator}-controlled (comparator: {s.comparator})"
        elif s.study_id in inside.index:
            r = inside.loc[s.study_id]
            status = "in this analysis"
            why = r["route"].replace("_", " ") + (f"; {r['conversion']}" if isinstance(r["conversion"], str) and r["conversion"] else "")
        elif s.study_id in dropped.index:
            status, why = "not in", str(dropped.loc[s.study_id, "dropped"])
        elif s.study_id in settings.index:
            status, why = "not in", "left out by this report's settings (exclusion, dose band, duration or sensitivity rule)"
        elif s.study_id in ma.not_used:
            status, why = "not in", f"result not convertible: {ma.not_used[s.study_id]}"
        else:
            status, why = "not in", "no reachable number for this outcome (not reported on the pages reached, or not measured)"
        rows.append({"study_id": s.study_id, "Trial": s.label, "Year": s.year, "Randomized": s.n_randomized,
                     "Status": status, "Route or reason": why})
    return pd.DataFrame(rows)


def matrix(ev, comparator: str = "placebo") -> pd.DataFrame:
    """Every randomized trial against every pooled analysis with this comparator (continuous outcomes on
    the SMD scale where that pools more trials than the mean difference): the route by which it enters
    ("arm level", "reported", "converted", with "weak" or "derived" where flagged), or blank."""
    from baclofen_evidence import meta_analysis as meta

    rcts = ev.studies[(ev.studies["design"] == "rct") & (ev.studies["substance"] == "alcohol")]
    rcts = rcts[rcts["comparator"] == comparator].sort_values(["year", "study_id"], kind="stable")
    frame = pd.DataFrame({"Trial": list(rcts["label"]), "Randomized": list(rcts["n_randomized"])}, index=list(rcts["study_id"]))
    for outcome, d in meta.analysis_outcomes(ev.descriptor).items():
        ma = meta.run(ev, outcome, comparator=comparator)
        label = d["label"]
        if d["kind"] == "continuous":  # trials printing only d or a t enter on the standardised scale
            smd = meta.run(ev, outcome, "SMD", comparator=comparator)
            if smd.result is not None and (ma.result is None or smd.k > ma.k):
                ma, label = smd, f"{label} (SMD)"
        if ma.result is None:
            continue  # a single trial is not a pooled analysis
        column = {}
        for s in ma.studies.drop_duplicates("study_id").itertuples():
            flags = [w for w, on in (("derived", bool(s.derived)), ("weak", bool(s.weak))) if on]
            route = {"arm_level": "arm level", "reported_estimate": "reported", "converted": "converted"}[s.route]
            column[s.study_id] = route + (f" ({', '.join(flags)})" if flags else "")
        frame[label] = [column.get(sid, "") for sid in frame.index]
    entries = frame.drop(columns=["Trial", "Randomized"])
    frame["In any analysis"] = ["yes" if (row != "").any() else "no" for _, row in entries.iterrows()]
    return frame
