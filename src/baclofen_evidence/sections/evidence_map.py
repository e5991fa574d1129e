"""Sections of notebooks/evidence_map.ipynb: every study, where it sits, and who mentions it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import costs, coverage, domain, plots
from baclofen_evidence.datapackage import fields_of
from baclofen_evidence.parameters import ParameterError, did_you_mean, require_number
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, data_dir_param, figures_dir_param, param
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, note, source_labels, table
from baclofen_evidence.studies import mentioned_by

DOSE_BANDS = domain.DOSE_BANDS + ("unknown",)


@dataclass
class EvidenceMapReport(ReportParameters):
    """The evidence map report: its parameters (declared once, here) and one method per section."""

    designs: list[str] | None = param(None, "study designs to keep, e.g. [rct]; None = every design")
    min_year: int | None = param(None, "keep studies published in this year or later; None = every year")
    dose_band: str = param("all", "studies by their maximum dose: low = at or below dose_threshold, high = above it, "
                                  "unknown = no dose reported", choices=DOSE_BANDS)
    dose_threshold: float = param(domain.DEFAULT_DOSE_THRESHOLD_MG_DAY, "mg/day, for dose_band")
    source: str | None = param(None, "only studies this source (a source id) mentions; None = every study")
    price_source: str | None = param(None, "drug price used for costs (a cost_id in data/costs.csv); None = NHS Drug Tariff 2018")
    currency: str = param("USD", "currency money is shown in (an ISO code with rates in exchange_rates.csv)")
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        self.figs = figures_folder(self.figures_dir, "evidence_map")
        design_enum = next(f for f in fields_of(self.ev.resource("studies")) if f["name"] == "design")["constraints"]["enum"]
        if self.designs is not None:
            unknown = sorted(set(self.designs) - set(design_enum))
            if unknown:
                hints = "".join(did_you_mean(str(u), design_enum) for u in unknown)
                raise ParameterError(f"designs: unknown design(s) {', '.join(map(str, unknown))}{hints}; choose from {', '.join(design_enum)}")
        if self.dose_band not in DOSE_BANDS:
            raise ParameterError(f"dose_band: {self.dose_band!r} is not one of {', '.join(DOSE_BANDS)}")
        if self.source is not None and self.source not in set(self.ev.sources["source_id"]):
            raise ParameterError(f"source: {self.source!r} is not a source id{did_you_mean(str(self.source), self.ev.sources['source_id'])}")
        # Checked here, not only where the study table prices the studies, so the pre-check sees them too.
        require_number("dose_threshold", self.dose_threshold, optional=False)
        costs.check_currency(self.ev, self.currency)
        costs.price_row(self.ev, self.price_source)
        self.studies = self._select()

    def _select(self) -> pd.DataFrame:
        s = self.ev.studies.copy()
        if self.designs is not None:
            s = s[s["design"].isin(self.designs)]
        if self.min_year is not None:
            s = s[s["year"] >= self.min_year]
        if self.dose_band == "low":
            s = s[s["dose_max_mg_day"] <= self.dose_threshold]
        elif self.dose_band == "high":
            s = s[s["dose_max_mg_day"] > self.dose_threshold]
        elif self.dose_band == "unknown":
            s = s[s["dose_max_mg_day"].isna()]
        if self.source is not None:
            wanted = set(self.ev.mentions.loc[self.ev.mentions["source_id"] == self.source, "study_id"])
            s = s[s["study_id"].isin(wanted)]
        return s.sort_values(["year", "study_id"])

    def _filters_text(self) -> str:
        parts = []
        if self.designs is not None:
            parts.append(f"designs {', '.join(self.designs)}")
        if self.min_year is not None:
            parts.append(f"from {self.min_year}")
        if self.dose_band != "all":
            parts.append(f"dose band {self.dose_band} (threshold {self.dose_threshold:g} mg/day)")
        if self.source is not None:
            parts.append(f"mentioned by source {self.source}")
        return "; ".join(parts) or "none (every study)"

    def title(self) -> str:
        filters = self._filters_text()
        return "Evidence table and map" + ("" if self._filters_text() == "none (every study)" else f": {filters}")

    def headline(self) -> None:
        publish_title(self.title())
        s = self.studies
        rcts = int((s["design"] == "rct").sum())
        mentioned = int(s["study_id"].isin(self.ev.mentions["study_id"]).sum())
        publish_headline(f"{len(s)} studies ({rcts} RCTs); {mentioned} mentioned by the popular sources")

    def overview(self) -> None:
        md(f"Filters: {esc(self._filters_text())}.")
        counts = self.studies.groupby("design").agg(studies=("study_id", "size"),
                                                    participants=("n_randomized", lambda n: n.sum(min_count=1)))
        counts = counts.reset_index().rename(columns={"design": "Design", "studies": "Studies", "participants": "Participants (n as reported)"})
        counts["Design"] = counts["Design"].str.replace("_", " ")
        table(counts, caption="Studies by design")

    def study_table(self) -> None:
        s = self.studies
        prices = costs.drug_prices(self.ev)
        price_id = costs.price_row(self.ev, self.price_source)["cost_id"]
        per_patient = costs.cost_per_patient(self.ev, price_id, self.currency).set_index("study_id")
        mentions = mentioned_by(self.ev)
        rows = []
        for r in s.itertuples():
            cost = ""
            if r.study_id in per_patient.index:
                c = per_patient.loc[r.study_id]
                cost = f"{c['cost_per_patient']:,.0f} {c['currency']} ({c['basis']}, {c['price_year']})"
            ids = "; ".join(x for x in (f"doi:{r.doi}" if not pd.isna(r.doi) else "", f"PMID {r.pmid}" if not pd.isna(r.pmid) else "",
                                         r.registration if not pd.isna(r.registration) else "") if x)
            rows.append({
                "Study": r.label, "Design": r.design.replace("_", " "), "Country": r.country,
                "n": "" if pd.isna(r.n_randomized) else f"{int(r.n_randomized)}",
                "Weeks": "" if pd.isna(r.duration_weeks) else f"{r.duration_weeks:g}",
                "Max dose (mg/day)": "" if pd.isna(r.dose_max_mg_day) else f"{r.dose_max_mg_day:g}",
                "Mean dose (mg/day)": "" if pd.isna(r.dose_mean_mg_day) else f"{r.dose_mean_mg_day:g}",
                "Cost per patient": cost, "Direction": r.direction.replace("_", " "),
                "Identifiers": ids or r.ref_id, "Mentioned by": ", ".join(m[:3] for m in mentions.get(r.study_id, [])),
            })
        table(pd.DataFrame(rows), caption="Every study: dose, size, cost per patient and direction of effect")
        p = prices.set_index("cost_id").loc[price_id]
        note(f"Cost per patient: the trial budget divided by the number randomized where a budget is published; otherwise "
             f"the baclofen bought for one patient at the trial's dose and duration, priced from {esc(p['description'])} "
             f"({esc(p['country'])}, {int(p['price_year'])}), converted to {esc(self.currency)} at that year's average rate.")

    def map(self) -> None:
        s = self.studies
        if s.empty:
            md("No study matches these filters.")
            return
        figure(plots.evidence_map(s), "evidence_map", self.figs, alt="Studies by year and dose")
        missing = s[s["dose_max_mg_day"].isna() | s["year"].isna()]
        if not missing.empty:
            note("Not on the map (no dose or no year): " + "; ".join(esc(x) for x in missing["label"]) + ".")

    def mentions(self) -> None:
        m = self.ev.mentions
        studies = self.ev.studies.set_index("study_id")
        mentioned = [sid for sid in self.studies["study_id"] if sid in set(m["study_id"])]
        if not mentioned:
            md("None of the selected studies is mentioned by a source.")
            return
        labels = source_labels(self.ev)
        matrix = pd.DataFrame(0, index=[labels[s] for s in self.ev.sources["source_id"]], columns=[studies.loc[s, "label"] for s in mentioned])
        for r in m[m["study_id"].isin(mentioned)].itertuples():
            matrix.loc[labels[r.source_id], studies.loc[r.study_id, "label"]] = 2 if r.how == "named" else 1
        figure(plots.mention_matrix(matrix), "mentions", self.figs, alt="Sources by studies")
        rows = m[m["study_id"].isin(mentioned)].merge(self.ev.studies[["study_id", "label"]], on="study_id")
        frame = pd.DataFrame({"Source": [labels[x] for x in rows["source_id"]], "Study": rows["label"], "How": rows["how"],
                              "Where in the article": rows["locator"]})
        table(frame, caption="Mentions (alluded = identified by the data team; see each study's note)")

    def gaps(self) -> None:
        prov = self.ev.provenance
        empty = prov[(prov["table"] == "studies") & prov["status"].isin(["not_reported", "not_found", "not_applicable"])]
        empty = empty[empty["row_key"].isin(self.studies["study_id"])]
        if empty.empty:
            md("No empty values among the selected studies.")
            return
        frame = pd.DataFrame({"Study": empty["row_key"], "Field": empty["field"], "Status": empty["status"].str.replace("_", " "),
                              "Why": empty["note"]})
        table(frame, caption="Values left empty, and why")

    def sources(self) -> None:
        s = self.ev.sources
        frame = pd.DataFrame({"Source": s["source_id"], "Title": s["title"], "Outlet": s["outlet"], "Kind": s["kind"].str.replace("_", " "),
                              "Stance": s["stance"].str.replace("_", " "), "Not before": s["earliest_year"].astype("string").fillna("")})
        table(frame, caption="The popular articles whose claims are checked")
        bullets([f"<b>{esc(r.source_id)}</b>: {esc(r.summary)}" for r in s.itertuples()])

    def analyses(self) -> None:
        """Which randomized trial enters which pooled analysis, and by which route."""
        grid = coverage.matrix(self.ev)
        if grid.empty:
            md("No placebo-controlled randomized trial in the data.")
            return
        left_out = grid[grid["In any analysis"] == "no"]
        md(f"{(grid['In any analysis'] == 'yes').sum()} of {len(grid)} placebo-controlled RCTs enter at least one pooled analysis. "
           + ("The others have no reachable number on any pooled outcome: " + esc(", ".join(left_out["Trial"])) + "; each "
              "meta-analysis report lists them with the reason." if not left_out.empty else ""))
        table(grid.reset_index(drop=True), caption="Placebo-controlled RCTs by analysis: the route each trial enters by (blank: not in it)",
              formats={"Randomized": "d"})

