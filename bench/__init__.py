"""Benchmarks, run with ``python -m bench`` (``make bench``); not part of the test run."""
