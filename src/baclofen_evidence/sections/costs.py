"""Sections of notebooks/costs.ipynb: what the trials cost, and what the drug costs per patient."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import costs, domain, plots
from baclofen_evidence import formatting as fmt
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, currency_param, data_dir_param, figures_dir_param, price_source_param
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, note, reference, source_labels, table


@dataclass
class CostsReport(ReportParameters):
    """The costs report: its parameters (declared once, here) and one method per section."""

    CLI_COMMAND = "costs"

    price_source: str | None = price_source_param()
    currency: str = currency_param()
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        self.figs = figures_folder(self.figures_dir, "costs")
        costs.check_currency(self.ev, self.currency)
        self.price = costs.price_row(self.ev, self.price_source)
        self.price_id = self.price["cost_id"]
        self.drug = costs.drug_cost_range(self.ev, self.currency, self.price_source)
        self.budgets = costs.budgets_per_patient(self.ev, self.currency)

    def _per_patient(self, row) -> str:
        """A budget per patient in this report's currency, or why it could not be converted."""
        if not row.converted:
            return esc(row.conversion)
        return fmt.money(row.cost_per_patient, row.currency)

    def title(self) -> str:
        if self.price_source:
            p = costs.price_row(self.ev, self.price_source)
            return f"Costs in {self.currency}: trial budgets, and the drug at {fmt.year(p['price_year'])} prices ({p['country']})"
        return f"Costs in {self.currency}: trial budgets, and the drug from the cheapest to the dearest price"

    def headline(self) -> None:
        publish_title(self.title())
        b = self.budgets[(self.budgets["study_id"] == domain.BACLOVILLE) & (self.budgets["basis"] == "trial budget")]
        if b.empty:
            publish_headline(f"Drug cost per patient priced from {self.price_id}; no trial budget published")
            return
        r = b.iloc[0]
        publish_headline(f"Bacloville: {fmt.money(r['source_amount'], r['source_currency'])} for {r['n_randomized']} patients = "
                         f"{fmt.money(r['source_amount'] / r['n_randomized'], r['source_currency'])} per patient")

    def price_basis(self) -> None:
        p = self.price
        prices = costs.drug_prices(self.ev)
        frame = pd.DataFrame({"Price id": prices["cost_id"], "What": prices["description"], "Country": prices["country"],
                              "Price": [fmt.money(a, c, 2) for a, c in zip(prices["amount"], prices["currency"])],
                              "Per": prices["unit"], "Pack": prices["pack_size"].astype("string").fillna(""),
                              "Strength (mg)": prices["strength_mg"], "Year": prices["price_year"].astype("string"),
                              "Per mg": [fmt.money(v, c, 4) for v, c in zip(prices["price_per_mg"], prices["currency"])],
                              "Source": [reference(self.ev, x) for x in prices["ref_id"]]})
        table(frame, caption="Baclofen prices in the data package")
        which = (f"with **{esc(self.price_id)}** only ({esc(p['description'])}, {esc(p['country'])}, {fmt.year(p['price_year'])})"
                 if self.price_source else f"with each of the {fmt.count(len(prices))} prices above, giving a range from the cheapest to the dearest")
        md(f"This report prices baclofen {which}, and shows money in **{esc(self.currency)}**, converted at the average rate "
           f"of the amount's own year (through the US dollar when exchange_rates.csv has no direct rate). An amount with no "
           f"rate to {esc(self.currency)} for its year is not shown in another currency: its cell says why.")

    def bacloville(self) -> None:
        b = self.budgets[self.budgets["study_id"] == domain.BACLOVILLE]
        if b.empty:
            md("No published Bacloville budget in costs.csv.")
            return
        rows = []
        for r in b.itertuples():
            rows.append({"Basis": r.basis, "Published amount": fmt.money(r.source_amount, r.source_currency),
                         "Randomized": r.n_randomized,
                         "Per patient (source currency)": fmt.money(r.source_amount / r.n_randomized, r.source_currency),
                         f"Per patient ({self.currency})": self._per_patient(r),
                         "Conversion": r.conversion or "none needed", "Source": reference(self.ev, r.ref_id)})
        table(pd.DataFrame(rows), caption="Bacloville's budget per randomized patient")
        claims = self.ev.claims[(self.ev.claims["study_id"] == domain.BACLOVILLE) & self.ev.claims["check_kind"].isin(["cost_total", "cost_per_patient"])]
        if not claims.empty:
            labels = source_labels(self.ev)
            bullets([f"{esc(labels[c.source_id])} says: {esc(c.paraphrase)}" for c in claims.itertuples()])
            note("The claims report gives the verdict on these figures.")

    def budgets_table(self) -> None:
        b = self.budgets
        if b.empty:
            md("No trial budget or grant award is published for any trial in the package.")
            return
        frame = pd.DataFrame({"Trial": b["label"], "Basis": b["basis"], "Amount": [fmt.money(a, c) for a, c in zip(b["source_amount"], b["source_currency"])],
                              "Year": [fmt.year(y) for y in b["price_year"]], "Randomized": [fmt.count(n) for n in b["n_randomized"]],
                              f"Per patient ({self.currency})": [self._per_patient(r) for r in b.itertuples()],
                              "Source": [reference(self.ev, x) for x in b["ref_id"]]})
        table(frame, caption="Published trial budgets and grant awards")

    def drug_costs(self) -> None:
        d = self.drug
        if d.empty:
            md("No study has both a dose and a duration.")
            return
        frame = pd.DataFrame({"Study": d["label"], "Design": d["design"].str.replace("_", " "),
                              "Dose": [fmt.dose(v) for v in d["dose_mg_day"]], "Dose basis": d["dose_basis"],
                              "Days": [fmt.count(v) for v in d["days"]],
                              f"Drug cost per patient ({self.currency})": [
                                  fmt.money_range(r.drug_cost_low, r.drug_cost_high, r.currency, missing="no price converts", digits=2)
                                  for r in d.itertuples()],
                              "Cheapest price": d["low_source"], "Dearest price": d["high_source"],
                              "Prices not converted": d["prices_not_converted"]})
        table(frame, caption=f"Baclofen bought for one patient over the study: from the cheapest to the dearest price ({self.currency})")
        note("Drug acquisition only, at the study's mean achieved dose where reported, else its target or maximum dose "
             "(an upper bound for titrated regimens). A trial's budget per patient is another quantity: everything the trial "
             "spent, shown in its own table above, never in this column.")
        figure(plots.cost_ranges(d, self.currency), "drug_cost", self.figs,
               alt="Drug cost per patient by study, from the cheapest to the dearest price")

    def per_responder(self) -> None:
        c = costs.cost_per_responder_range(self.ev, self.currency, self.price_source)
        if c.empty:
            md("No trial reports a binary success outcome against placebo.")
            return
        frame = pd.DataFrame({"Trial": c["label"], "Outcome": c["outcome"], "Risk difference": [fmt.signed(v, 3) for v in c["risk_difference"]],
                              "NNT": [fmt.number(v, 1) for v in c["nnt"]],
                              f"Drug cost per patient ({self.currency})": [
                                  fmt.money_range(r.drug_cost_low, r.drug_cost_high, r.currency, digits=2) for r in c.itertuples()],
                              f"Cost per extra responder ({self.currency})": [
                                  fmt.money_range(r.per_responder_low, r.per_responder_high, r.currency) for r in c.itertuples()],
                              "Note": c["note"]})
        table(frame, caption="Drug cost per additional responder (cost per patient x NNT), trial by trial, cheapest to dearest price")
        note("NNT = 1 / risk difference on the trial's own success outcome (responder, else complete abstinence), from the "
             "arm-level counts; where baclofen did no better there is no NNT. Drug cost only: visits, monitoring and "
             "adverse events are not priced.")
