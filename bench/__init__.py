"""Benchmarks and the scale-data generator (run with `make bench`; not part of `make test`)."""
