"""Costs per patient, computed from published budgets, prices and exchange rates (never stored).

* Trial budget per randomized patient: a trial's budget (or grant award, flagged as partial) divided
  by the number randomized.
* Drug-acquisition cost per patient: dose x treatment days / tablet strength x tablet price, with the
  dose the mean achieved dose where the trial reports it, else its target or maximum dose (an upper
  bound for titrated regimens). Prices are taken per mg, i.e. assumed linear in the dose.
* Cost per additional responder: drug cost per patient (both ends of its range) x NNT, NNT = 1 / (risk difference) on the
  trial's own success outcome (responder, else abstinence), only where baclofen did better.
* Money in another currency is converted with the annual average rate of the amount's own year
  (exchange_rates.csv): the pair's own rate, its inverse, or the cross rate through the currency the
  table quotes everything against (USD), both legs from that same year and both cited. Where no rate
  reaches the asked currency, a table built for that currency leaves the amount empty and says why in
  its row (`converted` False, `conversion` the reason): a column never holds another currency.
* Drug cost per patient is a range: the same regimen priced with every drug price in costs.csv, each in
  the asked currency, and the cheapest and dearest named. A trial's budget per patient is another
  quantity (everything the trial spent) and is kept in its own, labelled columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import comparisons as comp
from baclofen_evidence import domain
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError, did_you_mean
from baclofen_evidence import formatting as fmt

BENEFIT_OUTCOMES = ("responder", "abstinence")
# The NHS Drug Tariff is a national reimbursement price for generic baclofen, current at a known date.
DEFAULT_PRICE = domain.DEFAULT_DRUG_PRICE
DEFAULT_CURRENCY = domain.DEFAULT_CURRENCY
DAYS_PER_WEEK = 7


# exchange_rates.csv quotes every currency against the US dollar (the Federal Reserve's G.5A table).
PIVOT_CURRENCY = "USD"


@dataclass(frozen=True)
class Rate:
    rate: float
    ref_id: str  # both legs' references, "; "-joined, for a cross rate
    year: int
    via: str | None = None  # the currency a cross rate goes through


def _direct_rate(ev: Evidence, base: str, quote: str, year: int) -> Rate | None:
    rates = ev.exchange_rates
    for b, q, invert in ((base, quote, False), (quote, base, True)):
        hit = rates[(rates["base"] == b) & (rates["quote"] == q) & (rates["year"] == year)]
        if not hit.empty:
            row = hit.iloc[0]
            return Rate(1 / row["rate"] if invert else float(row["rate"]), row["ref_id"], int(year))
    return None


def exchange_rate(ev: Evidence, base: str, quote: str, year: int) -> Rate | None:
    """Units of `quote` per 1 `base` in `year`: the table's rate, its inverse, or the cross rate through
    PIVOT_CURRENCY with both legs of the same year; None when the table cannot reach it."""
    if base == quote:
        return Rate(1.0, "", int(year))
    direct = _direct_rate(ev, base, quote, year)
    if direct is not None or PIVOT_CURRENCY in (base, quote):
        return direct
    first, second = _direct_rate(ev, base, PIVOT_CURRENCY, year), _direct_rate(ev, PIVOT_CURRENCY, quote, year)
    if first is None or second is None:
        return None
    refs = "; ".join(dict.fromkeys([first.ref_id, second.ref_id]))  # one reference once
    return Rate(first.rate * second.rate, refs, int(year), PIVOT_CURRENCY)


def _missing_rate_text(currency: str, to: str, year: int) -> str:
    via = "" if PIVOT_CURRENCY in (currency, to) else f" (directly or via {PIVOT_CURRENCY})"
    return f"no {currency}->{to} rate for {year} in exchange_rates.csv{via}"


def convert(ev: Evidence, amount: float, currency: str, year: int, to: str | None) -> tuple[float, str, str | None]:
    """(amount, currency, note): converted when a rate for that year exists, else unchanged with a note
    (callers that compare currencies, such as the claims checks, decide what an unconverted amount means)."""
    if to is None or to == currency or pd.isna(amount):
        return amount, currency, None
    rate = exchange_rate(ev, currency, to, int(year))
    if rate is None:
        return amount, currency, f"{_missing_rate_text(currency, to, year)}; left in {currency}"
    via = f", via {rate.via}" if rate.via else ""
    return amount * rate.rate, to, f"converted at {fmt.money(rate.rate, to, 4)}/{currency} ({year}{via}, {rate.ref_id})"


@dataclass(frozen=True)
class Money:
    """An amount in the currency a table was asked for, or nothing with the reason (never another currency)."""
    amount: float  # NaN when it could not be converted
    currency: str
    converted: bool
    conversion: str | None  # how it was converted, why it was not, or None when no conversion was needed


def in_currency(ev: Evidence, amount: float, currency: str, year: int, to: str | None) -> Money:
    """`amount` (in `currency`, money of `year`) in `to`; to=None keeps the amount's own currency."""
    value, cur, note = convert(ev, amount, currency, year, to)
    if to is not None and cur != to:
        return Money(math.nan, to, False, f"not converted: {_missing_rate_text(currency, to, int(year))}")
    return Money(float(value), cur, True, note)


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
        money = in_currency(ev, c["amount"], c["currency"], c["price_year"], currency)
        rows.append({
            "study_id": c["study_id"], "label": studies.loc[c["study_id"], "label"], "cost_id": c["cost_id"],
            "basis": "trial budget" if c["item"] == "trial_budget" else "grant award (part of the cost)",
            "amount": money.amount, "n_randomized": None if pd.isna(n) else int(n),
            "cost_per_patient": math.nan if pd.isna(n) else money.amount / int(n), "currency": money.currency,
            "price_year": int(c["price_year"]), "source_amount": float(c["amount"]), "source_currency": c["currency"],
            "ref_id": c["ref_id"], "converted": money.converted, "conversion": money.conversion,
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
    per_mg = in_currency(ev, price["price_per_mg"], price["currency"], price["price_year"], currency)
    rows = []
    for r in regimens(ev).itertuples():
        rows.append({
            "study_id": r.study_id, "label": r.label, "design": r.design, "dose_mg_day": r.dose_mg_day,
            "dose_basis": r.dose_basis, "days": r.days, "drug_cost_per_patient": r.mg_per_patient * per_mg.amount,
            "currency": per_mg.currency, "price_year": int(price["price_year"]), "price_source": price_id,
            "converted": per_mg.converted, "conversion": per_mg.conversion,
        })
    return pd.DataFrame(rows)


def regimens(ev: Evidence) -> pd.DataFrame:
    """Every human study with a dose and a duration: the baclofen one patient takes over the study, in mg."""
    rows = []
    for _, s in ev.studies.sort_values(["year", "study_id"]).iterrows():
        dose = comp.study_dose(s)
        if pd.isna(dose) or pd.isna(s["duration_weeks"]) or s["design"] == "preclinical_animal":
            continue
        basis = "mean achieved dose" if not pd.isna(s["dose_mean_mg_day"]) else "target or maximum dose"
        days = float(s["duration_weeks"]) * DAYS_PER_WEEK
        rows.append({"study_id": s["study_id"], "label": s["label"], "design": s["design"], "dose_mg_day": float(dose),
                     "dose_basis": basis, "days": days, "mg_per_patient": float(dose) * days})
    return pd.DataFrame(rows, columns=["study_id", "label", "design", "dose_mg_day", "dose_basis", "days", "mg_per_patient"])


def drug_cost_by_price(ev: Evidence, currency: str = DEFAULT_CURRENCY, price_id: str | None = None) -> pd.DataFrame:
    """Every study's regimen priced with every drug price in costs.csv (or only `price_id`), in
    `currency` (empty where the price cannot be converted, with the reason)."""
    if currency is None:
        raise ParameterError("currency: a range across price sources needs one currency to compare them in")
    check_currency(ev, currency)
    prices = drug_prices(ev) if price_id is None else drug_prices(ev).loc[lambda f: f["cost_id"] == price_row(ev, price_id)["cost_id"]]
    frames = []
    for p in prices.itertuples():
        d = drug_cost_per_patient(ev, p.cost_id, currency)
        frames.append(d.assign(country=p.country))
    if not frames:
        raise ParameterError("price_source: costs.csv holds no drug price")
    return pd.concat(frames, ignore_index=True)


def drug_cost_range(ev: Evidence, currency: str = DEFAULT_CURRENCY, price_id: str | None = None) -> pd.DataFrame:
    """One row per study: the drug-acquisition cost per patient from the cheapest to the dearest price
    source (each converted at its own year's rate), the sources at each end, and the prices left out.
    `price_id` narrows the range to one price."""
    priced = drug_cost_by_price(ev, currency, price_id)
    rows = []
    for sid, g in priced.groupby("study_id", sort=False):
        ok = g[g["converted"]]
        first = g.iloc[0]
        low = ok.loc[ok["drug_cost_per_patient"].idxmin()] if not ok.empty else None
        high = ok.loc[ok["drug_cost_per_patient"].idxmax()] if not ok.empty else None
        left_out = g[~g["converted"]]
        rows.append({
            "study_id": sid, "label": first["label"], "design": first["design"], "dose_mg_day": first["dose_mg_day"],
            "dose_basis": first["dose_basis"], "days": first["days"],
            "drug_cost_low": math.nan if low is None else float(low["drug_cost_per_patient"]),
            "low_source": None if low is None else low["price_source"],
            "drug_cost_high": math.nan if high is None else float(high["drug_cost_per_patient"]),
            "high_source": None if high is None else high["price_source"],
            "currency": currency, "prices_used": len(ok),
            "prices_not_converted": "; ".join(f"{r.price_source}: {r.conversion}" for r in left_out.itertuples()) or None,
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


def cost_per_patient(ev: Evidence, currency: str = DEFAULT_CURRENCY, price_id: str | None = None) -> pd.DataFrame:
    """One row per study with a drug cost or a budget: the drug-acquisition cost per patient as a range
    across the price sources, and, separately, the trial's budget per randomized patient where one is
    published (else a grant award, which is part of the cost). Both in `currency`; where an amount
    cannot be converted it is empty and `notes` says so. `price_id` narrows the range to one price."""
    check_currency(ev, currency)
    drug = drug_cost_range(ev, currency, price_id).set_index("study_id")
    budgets = budgets_per_patient(ev, currency)
    if not budgets.empty:  # a whole-trial budget before a grant award, which is only part of the cost
        budgets = budgets.assign(rank=(budgets["basis"] != "trial budget").astype(int))
        budgets = budgets.sort_values(["study_id", "rank"], kind="stable").drop_duplicates("study_id").set_index("study_id")
    rows = []
    for s in ev.studies.sort_values(["year", "study_id"]).itertuples():
        has_drug, has_budget = s.study_id in drug.index, not budgets.empty and s.study_id in budgets.index
        if not (has_drug or has_budget):
            continue
        d = drug.loc[s.study_id] if has_drug else None
        b = budgets.loc[s.study_id] if has_budget else None
        notes = [x for x in (None if d is None else d["prices_not_converted"],
                             None if b is None or b["converted"] else f"{b['cost_id']}: {b['conversion']}") if x]
        rows.append({
            "study_id": s.study_id, "label": s.label,
            "drug_cost_low": math.nan if d is None else d["drug_cost_low"], "drug_cost_low_source": None if d is None else d["low_source"],
            "drug_cost_high": math.nan if d is None else d["drug_cost_high"], "drug_cost_high_source": None if d is None else d["high_source"],
            "drug_prices_used": None if d is None else int(d["prices_used"]),  # 0: a regimen, but no price converts
            "trial_budget_per_patient": math.nan if b is None else b["cost_per_patient"],
            "budget_basis": None if b is None else b["basis"], "budget_source": None if b is None else b["cost_id"],
            "currency": currency, "notes": "; ".join(notes) or None,
        })
    return pd.DataFrame(rows)


def cost_per_responder_range(ev: Evidence, currency: str = DEFAULT_CURRENCY, price_id: str | None = None) -> pd.DataFrame:
    """Drug cost per additional responder (drug cost per patient x NNT) at both ends of the price range."""
    drug = drug_cost_range(ev, currency, price_id).set_index("study_id")
    differences = risk_differences(ev)
    rows = []
    for sid in drug.index:
        if sid not in differences:
            continue
        diff, outcome = differences[sid]
        nnt = 1 / diff if diff > 0 else math.nan
        d = drug.loc[sid]
        rows.append({
            "study_id": sid, "label": d["label"], "outcome": outcome, "risk_difference": diff, "nnt": nnt,
            "drug_cost_low": d["drug_cost_low"], "drug_cost_high": d["drug_cost_high"],
            "per_responder_low": d["drug_cost_low"] * nnt, "per_responder_high": d["drug_cost_high"] * nnt,
            "low_source": d["low_source"], "high_source": d["high_source"], "currency": currency,
            "note": None if diff > 0 else "baclofen did no better than placebo: no NNT",
        })
    return pd.DataFrame(rows)
