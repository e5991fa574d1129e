"""Sections of notebooks/costs.ipynb: what the trials cost, and what the drug costs per patient."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import costs, domain, plots
from baclofen_evidence import formatting as fmt
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, data_dir_param, figures_dir_param, param
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, note, table


@dataclass
class CostsReport(ReportParameters):
    """The costs report: its parameters (declared once, here) and one method per section."""

    CLI_COMMAND = "costs"

    price_source: str | None = param(None, "a drug price (a cost_id in data/costs.csv); None = NHS Drug Tariff 2018")
    currency: str = param("USD", "currency money is shown in (an ISO code with rates in exchange_rates.csv)")
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        self.figs = figures_folder(self.figures_dir, "costs")
        costs.check_currency(self.ev, self.currency)
        self.price = costs.price_row(self.ev, self.price_source)
        self.price_id = self.price["cost_id"]
        self.drug = costs.drug_cost_per_patient(self.ev, self.price_id, self.currency)
        self.budgets = costs.budgets_per_patient(self.ev, self.currency)

    def title(self) -> str:
        p = costs.price_row(self.ev, self.price_source)
        return f"Costs in {self.currency}: trial budgets, and the drug at {fmt.year(p['price_year'])} prices ({p['country']})"

    def headline(self) -> None:
        publish_title(self.title())
        b = self.budgets[(self.budgets["study_id"] == domain.BACLOVILLE) & (self.budgets["basis"] == "trial budget")]
        if b.empty:
            publish_headline(f"Drug cost per patient priced from {self.price_id}; no trial budget published")
            return
        r = b.iloc[0]
        publish_headline(f"Bacloville: {r['source_amount']:,.0f} {r['source_currency']} for {r['n_randomized']} patients = "
                         f"{r['source_amount'] / r['n_randomized']:,.0f} {r['source_currency']} per patient")

    def price_basis(self) -> None:
        p = self.price
        prices = costs.drug_prices(self.ev)
        frame = pd.DataFrame({"Price id": prices["cost_id"], "What": prices["description"], "Country": prices["country"],
                              "Price": [f"{a:,.2f} {c}" for a, c in zip(prices["amount"], prices["currency"])],
                              "Per": prices["unit"], "Pack": prices["pack_size"].astype("string").fillna(""),
                              "Strength (mg)": prices["strength_mg"], "Year": prices["price_year"].astype("string"),
                              "Per mg": [f"{v:.4f} {c}" for v, c in zip(prices["price_per_mg"], prices["currency"])],
                              "Source": prices["ref_id"]})
        table(frame, caption="Baclofen prices in the data package")
        md(f"This report prices baclofen with **{esc(self.price_id)}** ({esc(p['description'])}, {esc(p['country'])}, "
           f"{int(p['price_year'])}) and shows money in **{esc(self.currency)}**, converted at the average rate of the "
           f"amount's own year. Amounts without a rate for their year stay in their own currency, flagged.")

    def bacloville(self) -> None:
        b = self.budgets[self.budgets["study_id"] == domain.BACLOVILLE]
        if b.empty:
            md("No published Bacloville budget in costs.csv.")
            return
        rows = []
        for r in b.itertuples():
            rows.append({"Basis": r.basis, "Published amount": f"{r.source_amount:,.0f} {r.source_currency}",
                         "Randomized": r.n_randomized,
                         "Per patient (source currency)": f"{r.source_amount / r.n_randomized:,.0f} {r.source_currency}",
                         f"Per patient ({self.currency})": f"{r.cost_per_patient:,.0f} {r.currency}",
                         "Conversion": r.conversion or "none needed", "Source": r.ref_id})
        table(pd.DataFrame(rows), caption="Bacloville's budget per randomized patient")
        claims = self.ev.claims[(self.ev.claims["study_id"] == domain.BACLOVILLE) & self.ev.claims["check_kind"].isin(["cost_total", "cost_per_patient"])]
        if not claims.empty:
            bullets([f"Source {esc(c.source_id[:3])} says: {esc(c.paraphrase)}" for c in claims.itertuples()])
            note("The claims report gives the verdict on these figures.")

    def budgets_table(self) -> None:
        b = self.budgets
        if b.empty:
            md("No trial budget or grant award is published for any trial in the package.")
            return
        frame = pd.DataFrame({"Trial": b["label"], "Basis": b["basis"], "Amount": [f"{a:,.0f} {c}" for a, c in zip(b["source_amount"], b["source_currency"])],
                              "Year": b["price_year"], "Randomized": b["n_randomized"],
                              f"Per patient ({self.currency})": [f"{v:,.0f} {c}" for v, c in zip(b["cost_per_patient"], b["currency"])],
                              "Source": b["ref_id"]})
        table(frame, caption="Published trial budgets and grant awards")

    def drug_costs(self) -> None:
        d = self.drug
        if d.empty:
            md("No study has both a dose and a duration.")
            return
        frame = pd.DataFrame({"Study": d["label"], "Design": d["design"].str.replace("_", " "), "Dose (mg/day)": d["dose_mg_day"],
                              "Dose basis": d["dose_basis"], "Days": d["days"],
                              f"Drug cost per patient ({self.currency})": [f"{v:,.2f} {c}" for v, c in zip(d["drug_cost_per_patient"], d["currency"])]})
        table(frame, caption=f"Baclofen bought for one patient over the trial, priced with {self.price_id}", formats={"Dose (mg/day)": "g", "Days": "g"})
        figure(plots.cost_bars(d.assign(basis="drug acquisition"), "drug_cost_per_patient", "Drug cost per patient", self.currency),
               "drug_cost", self.figs, alt="Drug cost per patient by study")

    def per_responder(self) -> None:
        c = costs.cost_per_responder(self.ev, self.price_id, self.currency)
        if c.empty:
            md("No trial reports a binary success outcome against placebo.")
            return
        frame = pd.DataFrame({"Trial": c["label"], "Outcome": c["outcome"], "Risk difference": [f"{v:+.3f}" for v in c["risk_difference"]],
                              "NNT": ["" if pd.isna(v) else f"{v:.1f}" for v in c["nnt"]],
                              f"Drug cost per patient ({self.currency})": [f"{v:,.2f}" for v in c["drug_cost_per_patient"]],
                              f"Cost per extra responder ({self.currency})": ["" if pd.isna(v) else f"{v:,.0f}" for v in c["cost_per_extra_responder"]],
                              "Note": c["note"]})
        table(frame, caption="Drug cost per additional responder (cost per patient x NNT), trial by trial")
        note("NNT = 1 / risk difference on the trial's own success outcome (responder, else complete abstinence), from the "
             "arm-level counts; where baclofen did no better there is no NNT. Drug cost only: visits, monitoring and "
             "adverse events are not priced.")
