"""baclofen-evidence: a reproducible evidence analysis of baclofen for alcohol use disorder."""

__version__ = "0.1.0"
