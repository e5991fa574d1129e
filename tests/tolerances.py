"""One tolerance table for every comparison with R metafor, by kind of quantity (as metafor's own tests do)."""

TOLERANCE = {
    "estimate": 1e-6,  # pooled estimates, on the analysis scale
    "ci": 1e-6,  # confidence and prediction limits
    "tau2": 1e-6,
    "se": 1e-6,
    "effect": 1e-9,  # study yi and vi: closed-form, so far tighter
    "heterogeneity": 1e-6,  # Q, I² (percent), H²
    "weights": 1e-6,  # percent
    "p": 1e-6,  # relative
}
