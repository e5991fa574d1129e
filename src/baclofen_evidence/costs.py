"""Costs per patient, computed from published budgets, prices and exchange rates (never stored).

* Trial budget per randomized patient: a trial's budget (or grant award, flagged as partial) divided
  by the number randomized.
* Drug-acquisition cost per patient: dose x treatment days / tablet strength x tablet price, with the
  dose the mean achieved dose where the trial reports it, else its target or maximum dose (an upper
  bound for titrated regimens). Prices are taken per mg, i.e. assumed linear in the dose.
* Cost per additional responder: drug cost per patient x NNT, NNT = 1 / (risk difference) on the
  trial's own success outcome (responder, else abstinence), only where baclofen did better.
* Money in another currency is converted with the annual average rate of the amount's own year
  (exchange_rates.csv); no rate, no conversion: the amount is left in its currency and flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import comparisons as comp
from baclofen_evidence import domain
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError, did_you_mean

BENEFIT_OUTCOMES = ("responder", "abstinence")
# The NHS Drug Tariff is a national reimbursement price for generic baclofen, current at a known date.
DEFAULT_PRICE = domain.DEFAULT_DRUG_PRICE
DEFAULT_CURRENCY = "USD"
DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class Rate:
    rate: float
    ref_id: str
    year: int


def exchange_rate(ev: Evidence, base: str, quote: str, year: int) -> Rate | None:
    """Units of `quote` per 1 `base` in `year`, from the table directly or inverted; None if absent."""
    if base == quote:
        return Rate(1.0, "", int(year))
    rates = ev.exchange_rates
    for b, q, invert in ((base, quote, False), (quote, base, True)):
        hit = rates[(rates["base"] == b) & (rates["quote"] == q) & (rates["year"] == year)]
        if not hit.empty:
            row = hit.iloc[0]
            return Rate(1 / row["rate"] if invert else float(row["rate"]), row["ref_id"], int(year))
    return None


def convert(ev: Evidence, amount: float, currency: str, year: int, to: str | None) -> tuple[float, str, str | None]:
    """(amount, currency, note): converted when a rate for that year exists, else unchanged with a note."""
    if to is None or to == currency or pd.isna(amount):
        return amount, currency, None
    rate = exchange_rate(ev, currency, to, int(year))
    if rate is None:
        return amount, currency, f"no {currency}->{to} rate for {year} in exchange_rates.csv; left in {currency}"
    return amount * rate.rate, to, f"converted at {rate.rate:.4f} {to}/{currency} ({year}, {rate.ref_id})"


def check_currency(ev: Evidence, currency: str | None) -> None:
    if currency is None:
        return
    allowed = ev.resource("costs")["schema"]["fields"]
    enum = next(f for f in allowed if f["name"] == "currency")["constraints"]["enum"]
    if currency not in enum:
        raise ParameterError(f"currency: {currency!r} is not one of {', '.join(enum)}{did_you_mean(str(currency), enum)}")


def budgets_per_patient(ev: Evidence, currency: str | None = None) -> pd.DataFrame:
    check_currency(ev, currency)
    costs = ev.costs[ev.costs["item"].isin(["trial_budget", "grant_award"]) & ev.costs["study_id"].notna()]
    studies = ev.studies.set_index("study_id")
    rows = []
    for _, c in costs.iterrows():
        n = studies.loc[c["study_id"], "n_randomized"]
        amount, cur, note = convert(ev, c["amount"], c["currency"], c["price_year"], currency)
        rows.append({
            "study_id": c["study_id"], "label": studies.loc[c["study_id"], "label"], "cost_id": c["cost_id"],
            "basis": "trial budget" if c["item"] == "trial_budget" else "grant award (part of the cost)",
            "amount": amount, "n_randomized": None if pd.isna(n) else int(n),
            "cost_per_patient": None if pd.isna(n) else amount / int(n), "currency": cur,
            "price_year": int(c["price_year"]), "source_amount": float(c["amount"]), "source_currency": c["currency"],
            "ref_id": c["ref_id"], "conversion": note,
        })
    return pd.DataFrame(rows)


def drug_prices(ev: Evidence) -> pd.DataFrame:
    prices = ev.costs[ev.costs["item"] == "drug_price"].copy()
    per_tablet = prices["amount"] / prices["pack_size"].where(prices["unit"] == "pack", 1).astype(float)
    prices["price_per_mg"] = per_tablet / prices["strength_mg"]
    return prices.reset_index(drop=True)


def default_price(ev: Evidence) -> str:
    prices = drug_prices(ev)
    if prices.empty:
        raise ParameterError("price_source: costs.csv holds no drug price")
    return DEFAULT_PRICE if DEFAULT_PRICE in set(prices["cost_id"]) else prices["cost_id"].iloc[0]


def price_row(ev: Evidence, price_id: str | None) -> pd.Series:
    prices = drug_prices(ev)
    price_id = price_id or default_price(ev)
    hit = prices[prices["cost_id"] == price_id]
    if hit.empty:
        raise ParameterError(f"price_source: {price_id!r} is not a drug price in costs.csv{did_you_mean(str(price_id), prices['cost_id'])}; "
                             f"choose one of {', '.join(prices['cost_id'])}")
    return hit.iloc[0]


def drug_cost_per_patient(ev: Evidence, price_id: str | None, currency: str | None = None) -> pd.DataFrame:
    """Drug-acquisition cost per baclofen-treated patient for every study with a dose and a duration."""
    check_currency(ev, currency)
    price = price_row(ev, price_id)
    price_id = price["cost_id"]
    per_mg, cur, note = convert(ev, price["price_per_mg"], price["currency"], price["price_year"], currency)
    rows = []
    for _, s in ev.studies.sort_values(["year", "study_id"]).iterrows():
        dose = comp.study_dose(s)
        if pd.isna(dose) or pd.isna(s["duration_weeks"]) or s["design"] == "preclinical_animal":
            continue
        basis = "mean achieved dose" if not pd.isna(s["dose_mean_mg_day"]) else "target or maximum dose"
        days = float(s["duration_weeks"]) * DAYS_PER_WEEK
        rows.append({
            "study_id": s["study_id"], "label": s["label"], "design": s["design"], "dose_mg_day": float(dose),
            "dose_basis": basis, "days": days, "drug_cost_per_patient": float(dose) * days * per_mg,
            "currency": cur, "price_year": int(price["price_year"]), "price_source": price_id, "conversion": note,
        })
    return pd.DataFrame(rows)


def risk_differences(ev: Evidence) -> dict[str, tuple[float, str]]:
    """Per study: baclofen minus placebo risk on its own success outcome (responder, else abstinence)."""
    found: dict[str, tuple[float, str]] = {}
    for outcome in BENEFIT_OUTCOMES:
        frame = comp.build(ev, outcome, "placebo", "combined")
        for r in frame.itertuples() if not frame.empty else ():
            found.setdefault(r.study_id, (r.ai / r.n1i - r.ci / r.n2i, outcome))
    return found


def cost_per_responder(ev: Evidence, price_id: str | None, currency: str | None = None) -> pd.DataFrame:
    drug = drug_cost_per_patient(ev, price_id, currency).set_index("study_id")
    differences = risk_differences(ev)  # built once: each outcome's comparisons, not once per study
    rows = []
    for sid in drug.index:
        if sid not in differences:
            continue
        diff, outcome = differences[sid]
        nnt = 1 / diff if diff > 0 else math.nan
        cost = drug.loc[sid, "drug_cost_per_patient"]
        rows.append({
            "study_id": sid, "label": drug.loc[sid, "label"], "outcome": outcome, "risk_difference": diff,
            "nnt": nnt, "drug_cost_per_patient": cost, "cost_per_extra_responder": cost * nnt if diff > 0 else math.nan,
            "currency": drug.loc[sid, "currency"], "price_year": drug.loc[sid, "price_year"],
            "note": None if diff > 0 else "baclofen did no better than placebo: no NNT",
        })
    return pd.DataFrame(rows)


def cost_per_patient(ev: Evidence, price_id: str | None, currency: str | None = None) -> pd.DataFrame:
    """One row per study: the trial budget per patient where known, else the drug-acquisition cost."""
    price_id = price_row(ev, price_id)["cost_id"]
    budgets = budgets_per_patient(ev, currency)
    if not budgets.empty:
        budgets = budgets[budgets["basis"] == "trial budget"].drop_duplicates("study_id")
    budgets = budgets.set_index("study_id") if not budgets.empty else budgets
    drug = drug_cost_per_patient(ev, price_id, currency).set_index("study_id")
    rows = []
    for sid in ev.studies.sort_values(["year", "study_id"])["study_id"]:
        if sid in budgets.index:
            b = budgets.loc[sid]
            rows.append({"study_id": sid, "cost_per_patient": b["cost_per_patient"], "currency": b["currency"],
                         "price_year": int(b["price_year"]), "basis": "trial budget", "source": b["ref_id"]})
        elif sid in drug.index:
            d = drug.loc[sid]
            rows.append({"study_id": sid, "cost_per_patient": d["drug_cost_per_patient"], "currency": d["currency"],
                         "price_year": int(d["price_year"]), "basis": "drug acquisition", "source": price_id})
    return pd.DataFrame(rows)
