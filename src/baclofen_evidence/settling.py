"""What settling the question would cost: the information still missing, priced per patient.

* Remaining participants = diversity-adjusted RIS - participants accrued, floored at 0.
* Per-patient cost: a trial budget or grant award in costs.csv divided by the trial's randomized
  participants (costs.budgets_per_patient), converted at the average rate of the amount's own year. The
  default is Bacloville's budget per randomized patient; the range runs over every budget and award in
  the package, each labelled with its kind (a grant award is part of a trial's cost, so a lower bound).
  Prices are not adjusted for inflation: each is in money of its own year.
* The dose question: the RIS of a head-to-head trial of high- against low-dose baclofen, powered for
  the difference the dose-subgroup estimates of abstinence suggest (pooled placebo proportion x each
  subgroup's pooled risk ratio), with no diversity adjustment (one trial).
* What was spent: Bacloville's budget, and the sum of every trial's budget (a trial with only a grant
  award counts with it, so the sum is a lower bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import costs, domain
from baclofen_evidence import information_size as info
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence import formatting as fmt

DEFAULT_COST = domain.BACLOVILLE_BUDGET
DOSE_THRESHOLD = domain.DEFAULT_DOSE_THRESHOLD_MG_DAY


def _budgets(ev: Evidence, currency: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trial budgets per patient in `currency`: those that convert, and those no exchange rate reaches."""
    b = costs.budgets_per_patient(ev, currency)
    if b.empty:
        return b, b
    converted = b["cost_per_patient"].notna()
    return b[converted].reset_index(drop=True), b[~converted].reset_index(drop=True)


def per_patient_costs(ev: Evidence, currency: str = costs.DEFAULT_CURRENCY) -> pd.DataFrame:
    return _budgets(ev, currency)[0]


def not_converted(ev: Evidence, currency: str = costs.DEFAULT_CURRENCY) -> pd.DataFrame:
    """The trial budgets left out of a cost in `currency` because no exchange rate reaches it (with the reason),
    so a page or a command can say what its range leaves out instead of dropping it unseen."""
    return _budgets(ev, currency)[1]


def default_cost(ev: Evidence, currency: str, cost_id: str | None = None) -> pd.Series:
    table, missing = _budgets(ev, currency)
    wanted = cost_id or DEFAULT_COST
    if not missing.empty and wanted in set(missing["cost_id"]):
        reason = missing.loc[missing["cost_id"] == wanted, "conversion"].iloc[0]
        raise ParameterError(f"currency: the per-patient cost {wanted!r} cannot be shown in {currency} ({reason}); "
                             f"choose another currency or cost_source")
    if table.empty:
        raise ParameterError("cost_source: costs.csv holds no trial budget or grant award with a trial size")
    hit = table[table["cost_id"] == wanted]
    if hit.empty:
        if cost_id:
            raise ParameterError(f"cost_source: {cost_id!r} is not a trial budget or grant award in costs.csv; "
                                 f"choose one of {', '.join(table['cost_id'])}")
        hit = table
    return hit.iloc[0]


@dataclass
class Price:
    remaining_participants: int
    per_patient: float
    currency: str
    amount: float
    cost_id: str
    basis: str
    label: str
    conversion: str | None

    def to_dict(self) -> dict:
        return dict(vars(self))


def price(ev: Evidence, remaining: int, currency: str = costs.DEFAULT_CURRENCY, cost_id: str | None = None) -> Price:
    row = default_cost(ev, currency, cost_id)
    return _price(row, remaining)


def _price(row: pd.Series, remaining: int) -> Price:
    return Price(int(remaining), float(row["cost_per_patient"]), row["currency"], float(row["cost_per_patient"]) * remaining,
                 row["cost_id"], row["basis"], row["label"], row["conversion"])


def price_range(ev: Evidence, remaining: int, currency: str = costs.DEFAULT_CURRENCY) -> list[Price]:
    return [_price(row, remaining) for _, row in per_patient_costs(ev, currency).iterrows()]


def remaining(ris_adjusted: int, accrued: float) -> int:
    return max(0, int(round(ris_adjusted - accrued)))


@dataclass
class DoseQuestion:
    threshold: float
    control_proportion: float
    rr_low: float
    rr_high: float
    p_low: float
    p_high: float
    ris: int | None
    participants_low: int
    participants_high: int
    why: str


def dose_question(ev: Evidence, control_proportion: float, alpha: float, beta: float,
                  threshold: float = DOSE_THRESHOLD) -> DoseQuestion:
    ma = meta.run(ev, domain.DOSE_QUESTION_OUTCOME)
    sg = meta.subgroups_by_dose(ev, ma, threshold)
    if len(sg.groups) < 2:
        raise ParameterError("dose_threshold: abstinence has no trials on both sides of the threshold")
    low, high = sg.groups.iloc[0], sg.groups.iloc[1]
    p_low, p_high = control_proportion * low["estimate"], control_proportion * high["estimate"]
    ris = None if p_low == p_high or not (0 < p_low < 1 and 0 < p_high < 1) else info.participants(
        info.ris_two_proportions(p_low, p_high, alpha, beta))
    why = (f"abstinence by dose band (split at {fmt.dose(threshold)}): pooled RR {fmt.number(low['estimate'])} at ≤ {fmt.dose(threshold)} "
           f"({low['studies']} trials) and {fmt.number(high['estimate'])} above ({high['studies']} trials), against a placebo abstinence "
           f"proportion of {fmt.number(control_proportion, 3)}: expected abstinence {fmt.number(p_low, 3)} on low and {fmt.number(p_high, 3)} on high doses")
    return DoseQuestion(threshold, control_proportion, float(low["estimate"]), float(high["estimate"]), p_low, p_high, ris,
                        int(low["participants"]), int(high["participants"]), why)


@dataclass
class Spent:
    bacloville: Price | None
    total: float
    currency: str
    items: pd.DataFrame
    lower_bound: bool


def spent(ev: Evidence, currency: str = costs.DEFAULT_CURRENCY) -> Spent:
    """Known trial spending: each trial's budget, else its grant award (then the sum is a lower bound)."""
    b = costs.budgets_per_patient(ev, currency)
    if b.empty:
        return Spent(None, 0.0, currency, b, False)
    b = b.assign(rank=(b["basis"] != "trial budget").astype(int)).sort_values(["study_id", "rank"], kind="stable")
    items = b.drop_duplicates("study_id").drop(columns="rank").reset_index(drop=True)
    same = items[items["currency"] == currency]
    bacloville = items[items["cost_id"] == DEFAULT_COST]
    bac = None
    if not bacloville.empty:
        r = bacloville.iloc[0]
        bac = Price(int(r["n_randomized"]), float(r["cost_per_patient"]), r["currency"], float(r["amount"]), r["cost_id"],
                    r["basis"], r["label"], r["conversion"])
    return Spent(bac, float(same["amount"].sum()), currency, items, bool((items["basis"] != "trial budget").any()))
