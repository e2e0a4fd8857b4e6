"""Baseline predictors behind one interface: ``predict(item) -> Reply``."""
