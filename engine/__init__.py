"""patuh: a rules-as-code compliance engine for Indonesian occupational safety and health (K3)."""
from .api import Engine, fact_types, load_pack, parameters, tables
from .models import Action, Citation, DerivedFact, Fact, Finding, Result, Sanction, Source, Subject

__all__ = ["Engine", "fact_types", "load_pack", "parameters", "tables", "Fact", "Source", "Result", "Finding",
           "Citation", "Action", "Sanction", "Subject", "DerivedFact"]
__version__ = "0.1.0"
