"""EXAMPLE patuh plugin: the pack of a fictional contractor's site fatigue procedure.

PT ACME Tambang and ACME-SOP-K3-07 are made up, to show how a company ships its own procedure
as a pack: installed with pip, found by patuh through the `patuh` entry point group, which names
this module; patuh calls the hook below to learn where the pack's folder is.
"""
from __future__ import annotations

from pathlib import Path

from patuh.plugins import hookimpl

__version__ = "1.0.0"
PACK = Path(__file__).parent / "pack"


@hookimpl
def patuh_packs() -> list[Path]:
    return [PACK]
