"""Facts of the domain that the code relies on: label doses and the trials the headlines name.

Kept in one place so a report, a figure, the CLI and the multiverse all mean the same thing by them,
and so a change (a new label, a renamed study id) is made once.
"""

from __future__ import annotations

# The maximum daily dose of the US spasticity label: 80 mg a day, given as 20 mg four times a day
# (baclofen tablets USP, FDA-approved prescribing information, Dosage and Administration; DailyMed). France's authorisation for alcohol (Baclocur, ANSM SmPC; references.csv
# url:guide-medicament-baclocur40) caps the dose at 80 mg/day too.
US_SPASTICITY_LABEL_MAX_MG_DAY = 80.0
US_SPASTICITY_LABEL_SOURCE = "the FDA prescribing information for baclofen tablets, on DailyMed"

# The default split between low and high dose in every report and command: at the label maximum, so
# "high dose" means above what the spasticity label allows (> threshold is high, <= is low).
DEFAULT_DOSE_THRESHOLD_MG_DAY = US_SPASTICITY_LABEL_MAX_MG_DAY
DOSE_BANDS = ("all", "low", "high")  # of baclofen arms: low = at or below the threshold, high = above it

# Study ids (data/studies.csv) of the trials that headlines and sections name.
BACLOVILLE = "rigal2020"  # Bacloville, Rigal et al. 2020 (NCT01604330)
ALPADIR = "reynaud2017"  # ALPADIR, Reynaud et al. 2017 (NCT01738282)
BACLAD = "muller2015"  # BACLAD, Müller et al. 2015 (NCT01266655)

# Cost ids (data/costs.csv): Bacloville's published budget, the default cost per patient of a new trial; and the
# default drug price, the NHS Drug Tariff 2018.
BACLOVILLE_BUDGET = "bacloville_budget_2012"
DEFAULT_CURRENCY = "USD"  # money on every page and command unless asked otherwise
DEFAULT_DRUG_PRICE = "uk_drug_tariff_2018"

# The outcome on which "does a higher dose do better?" is asked when a trial comparing doses is powered and priced:
# abstinence is the outcome both dose bands report.
DOSE_QUESTION_OUTCOME = "abstinence"
