"""Detectors turn the world (forms, logs, telemetry, video) into facts. They use only patuh's
small public API: `patuh.fact_types` and `patuh.parameters`, `patuh.rows`, `patuh.models`,
`patuh.problems` and `patuh.plugins`; never the engine's internals."""
