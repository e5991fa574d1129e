# Reference values from R metafor for tests/test_metafor_reference.py.
#
# Run with `make reference` (installs r-base-core and r-cran-metafor from Debian first).
# Reads every case in inputs/*.csv (written by `baclofen-evidence reference-inputs`, plus the
# published BCG vaccine data set that metadat ships, written here), fits every measure and
# method the Python engine offers, and writes metafor_reference.json.
#
# Defaults pinned (the project's stated rules): zero cells get 0.5 added only where a cell is 0
# (add = 1/2, to = "only0"); double-zero studies are dropped for RR and OR (drop00 = TRUE);
# tolerances are tightened so iterative estimators converge past 1e-6.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })

args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args) >= 1) args[1] else "tests/reference"
inputs <- file.path(here, "inputs")

# The BCG vaccine trials (Colditz et al. 1994), the worked example of Viechtbauer (2010, J Stat Softw 36(3)).
bcg <- metadat::dat.bcg
write.csv(data.frame(study = paste(bcg$author, bcg$year), ai = bcg$tpos, n1i = bcg$tpos + bcg$tneg,
                     ci = bcg$cpos, n2i = bcg$cpos + bcg$cneg, dose = bcg$ablat),
          file.path(inputs, "bcg_colditz1994.csv"), row.names = FALSE)

ctrl <- list(threshold = 1e-12, tol = 1e-13, maxiter = 10000, stepadj = 0.5)
num <- function(x) if (is.null(x) || length(x) == 0) NA else unname(as.numeric(x))

fit_uni <- function(dat, method, hksj) {
  m <- rma(yi, vi, data = dat, method = method, test = if (hksj) "knha" else "z", control = ctrl)
  p <- predict(m)
  list(estimate = num(m$beta), se = num(m$se), ci_low = num(m$ci.lb), ci_high = num(m$ci.ub),
       pi_low = num(p$pi.lb), pi_high = num(p$pi.ub), tau2 = num(m$tau2), i2 = num(m$I2), h2 = num(m$H2),
       q = num(m$QE), q_p = num(m$QEp), p = num(m$pval), weights = num(weights(m)))
}

fit_mh <- function(d, measure) {
  m <- rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = measure,
              add = c(1/2, 0), to = c("only0", "none"), drop00 = c(measure != "RD", FALSE))
  list(estimate = num(m$beta), se = num(m$se), ci_low = num(m$ci.lb), ci_high = num(m$ci.ub),
       q = num(m$QE), q_p = num(m$QEp), i2 = num(m$I2), h2 = num(m$H2), p = num(m$pval))
}

out <- list(metafor_version = as.character(packageVersion("metafor")), R_version = R.version.string, cases = list())
for (path in sort(list.files(inputs, pattern = "\\.csv$", full.names = TRUE))) {
  case <- sub("\\.csv$", "", basename(path))
  d <- read.csv(path, stringsAsFactors = FALSE)
  binary <- "ai" %in% names(d)
  giv <- "yi" %in% names(d)
  measures <- if (giv) "GIV" else if (binary) c("RR", "OR", "RD") else c("MD", "SMD")
  res <- list()
  for (measure in measures) {
    dat <- if (giv) {
      d  # generic inverse variance: the study effects as the report pools them
    } else if (binary) {
      escalc(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d,
             add = 1/2, to = "only0", drop00 = measure != "RD")
    } else {
      escalc(measure = measure, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = d)
    }
    keep <- !is.na(dat$yi)
    entry <- list(yi = num(dat$yi), vi = num(dat$vi), fits = list())
    if (sum(keep) >= 2) {
      for (method in c("FE", "DL", "REML", "PM")) {
        for (hksj in c(FALSE, TRUE)) {
          entry$fits[[paste0(method, if (hksj) "+HKSJ" else "")]] <- fit_uni(dat[keep, ], method, hksj)
        }
      }
      if (binary && !giv) entry$fits[["MH"]] <- fit_mh(d, measure)
      if ("dose" %in% names(d) && sum(keep) >= 3 && length(unique(d$dose[keep])) >= 2) {
        mr <- rma(yi, vi, mods = ~ dose, data = dat[keep, ], method = "REML", control = ctrl)
        entry$metareg <- list(intercept = num(mr$beta[1]), slope = num(mr$beta[2]), slope_se = num(mr$se[2]),
                              slope_ci_low = num(mr$ci.lb[2]), slope_ci_high = num(mr$ci.ub[2]),
                              slope_p = num(mr$pval[2]), tau2 = num(mr$tau2))
      }
    }
    res[[measure]] <- entry
  }
  out$cases[[case]] <- res
}
# Conversions of the overview synthesis, redone with escalc: counts to SMD (OR2DL: ln OR x sqrt(3)/pi,
# Chinn 2000), means to Hedges' g (SMD), and a t statistic with group sizes to Hedges' g (SMD with ti).
conv <- read.csv(file.path(here, "conversions.csv"), stringsAsFactors = FALSE)
out$conversions <- lapply(seq_len(nrow(conv)), function(i) {
  r <- conv[i, ]
  e <- switch(r$measure,
    OR2DL = escalc(measure = "OR2DL", ai = r$ai, n1i = r$n1i, ci = r$ci, n2i = r$n2i, add = 1/2, to = "only0"),
    SMD = if (!is.na(r$ti)) escalc(measure = "SMD", ti = r$ti, n1i = r$n1i, n2i = r$n2i)
          else escalc(measure = "SMD", m1i = r$m1i, sd1i = r$sd1i, n1i = r$n1i, m2i = r$m2i, sd2i = r$sd2i, n2i = r$n2i))
  list(study = r$study, measure = r$measure, yi = num(r$sign * e$yi), vi = num(e$vi))
})

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), file.path(here, "metafor_reference.json"))
cat("wrote", file.path(here, "metafor_reference.json"), "\n")
