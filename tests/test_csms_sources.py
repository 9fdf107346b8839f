"""The csms pack's clause texts against its sources (rulesets/csms/sources/), read here on their
own: each stage's text is in the seed word for word, and each ICMESH clause's pieces (between the
"…" that mark what is left out) are in the article, in order. White space is compared as one
space, a no-break space as a space, as clauses.yaml says it quotes them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

PACK = Path(__file__).resolve().parents[1] / "rulesets" / "csms"
CLAUSES = {c["number"]: c for c in yaml.safe_load((PACK / "clauses.yaml").read_text(encoding="utf-8"))["clauses"]}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


SEED = norm((PACK / "sources" / "csms-overview.txt").read_text(encoding="utf-8"))
ARTICLE = norm((PACK / "sources" / "icmesh-inalum-2026.txt").read_text(encoding="utf-8"))


def test_the_pack_quotes_six_stages_and_three_icmesh_components():
    assert sorted(CLAUSES) == ["1", "2", "3", "4", "5", "6", "icmesh.audit", "icmesh.kpi", "icmesh.realtime"]


@pytest.mark.parametrize("number", ["1", "2", "3", "4", "5", "6"])
def test_each_stage_is_quoted_word_for_word(number):
    clause = CLAUSES[number]
    assert norm(clause["text"]) in SEED
    # its title is the stage's heading in the seed ("1) Penilaian Risiko")
    assert re.search(rf"{number}\)\s*{re.escape(clause['title'])}", SEED, re.I), clause["title"]


@pytest.mark.parametrize("number", ["icmesh.audit", "icmesh.kpi", "icmesh.realtime"])
def test_each_icmesh_component_is_quoted_in_pieces_in_order(number):
    pieces = [norm(p) for p in CLAUSES[number]["text"].split("…") if norm(p)]
    assert pieces[0].startswith("Dalam paparan teknis"), "each is quoted with the sentence's lead"
    at = 0
    for piece in pieces:
        found = ARTICLE.find(piece, at)
        assert found >= 0, piece
        at = found + len(piece)
