"""Fitting: the `optimize` loop, its optimizers, Newton's method and training data."""
