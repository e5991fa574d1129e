# Reference values from R metafor's gosh() for tests/test_gosh_reference.py.
#
# Run with `make reference`. For every generic inverse-variance input of the project's analyses
# (inputs/baclofen_giv_*.csv, written by `baclofen-evidence reference-inputs`) and for the first ten
# BCG vaccine trials (log risk ratios, Colditz et al. 1994), fits FE, DL, REML and PM to every subset
# with gosh() and writes gosh_reference.json: per subset its members (a 0/1 string, study order as in
# the input), k, estimate, tau2, I2, H2 and Q.
#
# The iterative estimators run with a tight convergence threshold (REML: Fisher scoring to 1e-10 in
# up to 1000 steps; PM: root finding to 1e-12), so the reference is the converged value the engine
# must match to 1e-6, not metafor's default stopping point (threshold 1e-5).
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })

args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args) >= 1) args[1] else "tests/reference"
inputs <- file.path(here, "inputs")
ctrl <- list(threshold = 1e-10, maxiter = 1000, tol = 1e-12)

cases <- list()
for (path in sort(list.files(inputs, pattern = "^baclofen_giv_.*\\.csv$", full.names = TRUE))) {
  d <- read.csv(path, stringsAsFactors = FALSE)
  if (nrow(d) >= 2) cases[[sub("\\.csv$", "", basename(path))]] <- d[, c("study", "yi", "vi")]
}
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = metadat::dat.bcg)[1:10, ]
cases[["bcg_colditz1994_first10_RR"]] <- data.frame(study = paste(bcg$author, bcg$year), yi = as.numeric(bcg$yi),
                                                    vi = as.numeric(bcg$vi))

# Five studies of Bangert-Drowns et al. (2004) whose REML likelihood has a mode at tau2 = 0 and a higher
# one inside (the REML score is negative at 0, positive further on): the interior mode is the estimate.
bd <- metadat::dat.bangertdrowns2004[c(1, 3, 4, 6, 7), ]
cases[["bangertdrowns2004_two_modes"]] <- data.frame(study = paste(bd$author, bd$year), yi = bd$yi, vi = bd$vi)

out <- list(metafor_version = as.character(packageVersion("metafor")), control = ctrl, cases = list())
for (case in names(cases)) {
  d <- cases[[case]]
  fits <- list()
  for (method in c("FE", "DL", "REML", "PM")) {
    m <- rma(yi, vi, data = d, method = method, control = ctrl)
    g <- gosh(m, progbar = FALSE)
    fits[[method]] <- list(
      members = apply(g$incl, 1, function(r) paste(as.integer(r), collapse = "")),
      k = as.integer(g$res$k), estimate = unname(g$res$estimate), tau2 = unname(g$res$tau2),
      i2 = unname(g$res$I2), h2 = unname(g$res$H2), q = unname(g$res$QE))
  }
  out$cases[[case]] <- list(study = d$study, yi = d$yi, vi = d$vi, fits = fits)
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), file.path(here, "gosh_reference.json"))
cat("wrote", file.path(here, "gosh_reference.json"), "\n")
