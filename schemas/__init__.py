"""The pack schema (pack.yaml, cerberus) and JSON Schema exports of the fact and result models."""
