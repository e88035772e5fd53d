"""The empirical probe: measure on the team's own model what the questionnaire predicts.

Needs the optional `probe` extra (numpy, scikit-learn, skops); nothing here is imported by the
other commands."""
