"""Detectors turn the world (forms, logs, telemetry, video) into facts. They import only
`patuh.models`, never the engine."""
