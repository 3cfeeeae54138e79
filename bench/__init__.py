"""Benchmarks: run on purpose (not part of `make test`), each reporting its conditions."""
