"""Benchmarks: speed and memory targets (see benchmarks/run.py)."""
