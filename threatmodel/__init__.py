"""threatmodel: privacy threat modelling for machine-learning classifiers."""

__version__ = "0.2.0"
