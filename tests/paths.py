"""Where the test fixtures live: one tree, ``tests/fixtures/``.

- ``parsers/<source>/``     hand-written native exports with hand-computed expectations (unit tests)
- ``handmade_landing/``     a hand-written landing folder run end to end (every number worked out by hand)
- ``corpus/``               the hostile-input corpus (``build_corpus.py`` writes ``cases/`` and ``manifest.json``)
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
PARSER_FIXTURES = FIXTURES / "parsers"
HANDMADE_LANDING = FIXTURES / "handmade_landing"
CORPUS = FIXTURES / "corpus"
