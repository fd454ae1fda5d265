"""Benchmarks (`python -m bench`; the older scripts run as `python bench/<script>.py`)."""
