"""Throughput and peak memory of patuh beside raw durable_rules (see benchmarks/README.md)."""
