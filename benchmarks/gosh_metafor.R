# metafor's gosh() on the benchmark's studies, for benchmarks/gosh.py (`make bench`).
# Usage: Rscript gosh_metafor.R STUDIES.csv METHOD SUBSETS TIGHT NCPUS OUT.json
#   SUBSETS: "all", or a number of random subsets (metafor draws them; sizes as in the full enumeration)
#   TIGHT:   1 = REML/PM converged to threshold 1e-10 (the accuracy reference), 0 = metafor's defaults (what users have)
# Writes the seconds gosh() took (R start-up and loading metafor excluded) and, per subset, members,
# estimate and tau2.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = FALSE)
method <- a[2]
tight <- a[4] == "1"
ncpus <- as.integer(a[5])
ctrl <- if (tight) list(threshold = 1e-10, maxiter = 1000, tol = 1e-12) else list()
m <- rma(yi, vi, data = d, method = method, control = ctrl)
set.seed(1)
t0 <- proc.time()[["elapsed"]]
g <- if (a[3] == "all") {
  gosh(m, progbar = FALSE, parallel = if (ncpus > 1) "multicore" else "no", ncpus = ncpus)
} else {
  gosh(m, subsets = as.integer(a[3]), progbar = FALSE, parallel = if (ncpus > 1) "multicore" else "no", ncpus = ncpus)
}
seconds <- proc.time()[["elapsed"]] - t0
out <- list(method = method, tight = tight, ncpus = ncpus, seconds = seconds, n = nrow(g$res),
            unconverged = sum(!g$fit), metafor_version = as.character(packageVersion("metafor")),
            members = apply(g$incl, 1, function(r) paste(as.integer(r), collapse = "")),
            estimate = unname(g$res$estimate), tau2 = unname(g$res$tau2))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), a[6])
