"""Sections of notebooks/evidence_map.ipynb: every study, where it sits, and who mentions it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from baclofen_evidence import costs, coverage, domain, identifiers, plots
from baclofen_evidence import formatting as fmt
from baclofen_evidence.datapackage import fields_of
from baclofen_evidence.parameters import ParameterError, did_you_mean, require_number
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, currency_param, data_dir_param, figures_dir_param, param, price_source_param
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, note, reference, source_labels, table
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
    price_source: str | None = price_source_param()
    currency: str = currency_param()
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
            parts.append(f"from {fmt.year(self.min_year)}")
        if self.dose_band != "all":
            parts.append(f"dose band {self.dose_band} (threshold {fmt.dose(self.dose_threshold)})")
        if self.source is not None:
            parts.append(f"mentioned by {source_labels(self.ev)[self.source]}")
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
        per_patient = costs.cost_per_patient(self.ev, self.currency, self.price_source).set_index("study_id")
        mentions = mentioned_by(self.ev)
        labels = source_labels(self.ev)
        rows = []
        for r in s.itertuples():
            drug, budget = "", ""
            if r.study_id in per_patient.index:
                c = per_patient.loc[r.study_id]
                drug = fmt.money_range(c["drug_cost_low"], c["drug_cost_high"], c["currency"], digits=2,
                                       missing="not converted" if c["drug_prices_used"] == 0 else "")
                if isinstance(c["budget_source"], str):
                    budget = f"{fmt.money(c['trial_budget_per_patient'], c['currency'], missing='not converted')}, {c['budget_basis']}"
            ids = [x for x in (identifiers.link(r.doi, "doi"), identifiers.link(r.pmid, "pmid"), identifiers.links(r.registration)) if x]
            rows.append({
                "Study": r.label, "Design": r.design.replace("_", " "), "Country": r.country,
                "n": fmt.count(r.n_randomized), "Weeks": fmt.as_printed(r.duration_weeks),
                "Max dose (mg/day)": fmt.as_printed(r.dose_max_mg_day),
                "Mean dose (mg/day)": fmt.as_printed(r.dose_mean_mg_day),
                f"Drug cost per patient ({self.currency})": drug, f"Trial budget per patient ({self.currency})": budget,
                "Direction": r.direction.replace("_", " "),
                "Identifiers": Markup("; ").join(ids) if ids else reference(self.ev, r.ref_id),
                "Mentioned by": "; ".join(labels.get(m, m) for m in mentions.get(r.study_id, [])),
            })
        table(pd.DataFrame(rows), caption="Every study: dose, size, drug cost and trial budget per patient, and direction of effect")
        prices = costs.drug_prices(self.ev)
        which = (f"priced with {esc(self.price_source)} only" if self.price_source
                 else f"from the cheapest to the dearest of the prices in costs.csv ({esc(', '.join(prices['cost_id']))})")
        note(f"Drug cost per patient: the baclofen bought for one patient at the study's dose and duration, {which}, each "
             f"converted to {esc(self.currency)} at the average rate of the price's year. Trial budget per patient: the "
             f"published budget (or grant award, part of the cost) divided by the number randomized; everything the trial "
             f"spent, not the drug. An amount with no exchange rate to {esc(self.currency)} says so; it is never shown in another currency.")

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
        labels = source_labels(self.ev, width=60)
        matrix = pd.DataFrame(0, index=[labels[s] for s in self.ev.sources["source_id"]], columns=[studies.loc[s, "label"] for s in mentioned])
        for r in m[m["study_id"].isin(mentioned)].itertuples():
            matrix.loc[labels[r.source_id], studies.loc[r.study_id, "label"]] = 2 if r.how == "named" else 1
        figure(plots.mention_matrix(matrix), "mentions", self.figs, alt="Sources by studies")
        rows = m[m["study_id"].isin(mentioned)].merge(self.ev.studies[["study_id", "label"]], on="study_id")
        full = source_labels(self.ev)
        frame = pd.DataFrame({"Source": [full[x] for x in rows["source_id"]], "Study": rows["label"], "How": rows["how"],
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
        frame = pd.DataFrame({"Outlet": s["outlet"], "Title": s["title"], "Kind": s["kind"].str.replace("_", " "),
                              "Stance": s["stance"].str.replace("_", " "), "Not before": s["earliest_year"].map(fmt.year),
                              "Reference": [reference(self.ev, x) for x in s["ref_id"]]})
        table(frame, caption="The popular articles whose claims are checked")
        labels = source_labels(self.ev)
        bullets([f"<b>{esc(labels[r.source_id])}</b>: {esc(r.summary)}" for r in s.itertuples()])

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
              formats={"Randomized": fmt.count})

