"""Benchmarks: measured figures for `make bench` (`patchpilot bench`). Not imported by production code."""
