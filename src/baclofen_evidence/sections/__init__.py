"""One module per report notebook: the notebook in notebooks/ calls one function per section here."""
