# Reference values from R rpact for tests/test_rpact_reference.py (the trial sequential analysis).
#
# Run with `make reference` (installs r-base-core, r-cran-rpact and r-cran-jsonlite from Debian first).
# Reads rpact_cases.json (written by `baclofen-evidence reference-inputs`: fixed designs plus every TSA
# report's own information fractions) and writes rpact_reference.json with, per design:
# getDesignGroupSequential(sided = 2, typeOfDesign = "asOF", typeBetaSpending = "bsOF",
# bindingFutility = FALSE) - critical values, futility bounds (NA where none), alpha and beta spent,
# and the drift; and, per continuous case, the fixed-sample size with the normal approximation.
suppressPackageStartupMessages({ library(rpact); library(jsonlite) })

args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args) >= 1) args[1] else "tests/reference"
cases <- fromJSON(file.path(here, "rpact_cases.json"), simplifyVector = FALSE)
num <- function(x) unname(as.numeric(x))

design <- function(case) {
  rates <- num(unlist(case$fractions))
  efficacy_only <- getDesignGroupSequential(sided = 2, alpha = case$alpha, typeOfDesign = "asOF",
                                            informationRates = rates, tolerance = 1e-10)
  out <- list(case = case$case, alpha = case$alpha, beta = case$beta, fractions = rates,
              critical_values = num(efficacy_only$criticalValues), alpha_spent = num(efficacy_only$alphaSpent))
  if (length(rates) > 1) {
    d <- suppressWarnings(getDesignGroupSequential(sided = 2, alpha = case$alpha, beta = case$beta, typeOfDesign = "asOF",
                                                   typeBetaSpending = "bsOF", bindingFutility = FALSE,
                                                   informationRates = rates, tolerance = 1e-10))
    out$futility_bounds <- num(d$futilityBounds)
    out$beta_spent <- num(d$betaSpent)
    out$shift <- sqrt(num(suppressWarnings(getDesignCharacteristics(d))$shift))
    out$critical_values_with_futility <- num(d$criticalValues)
  }
  out
}

continuous <- function(case) {
  d <- getDesignGroupSequential(kMax = 1, sided = 2, alpha = case$alpha, beta = case$beta)
  s <- getSampleSizeMeans(d, normalApproximation = TRUE, alternative = case$mird, stDev = case$sd)
  list(case = case$case, alpha = case$alpha, beta = case$beta, mird = case$mird, sd = case$sd,
       n_total = num(s$nFixed))
}

out <- list(rpact_version = as.character(packageVersion("rpact")), R_version = R.version.string,
            designs = lapply(cases$designs, design), continuous = lapply(cases$continuous, continuous))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), file.path(here, "rpact_reference.json"))
cat("wrote", file.path(here, "rpact_reference.json"), "\n")
