"""The kernel's words are spelled once: vocabulary.py, the companion's
protocol.ts and docs/companion.md name the same ones, in any language."""
import re
from pathlib import Path
from typing import get_args

import pytest

from reactive_kernel import vocabulary

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "companion" / "src" / "protocol.ts"
DOCS = ROOT / "docs" / "companion.md"

#: each group of words: its Literal type in vocabulary.py, its union type in
#: protocol.ts, its row in docs/companion.md's table of words
GROUPS = [
    (vocabulary.CellState, "CellStateName", "cell states"),
    (vocabulary.Role, "Role", "roles"),
    (vocabulary.Status, "Status", "statuses"),
    (vocabulary.OrderSource, "OrderSource", "order sources"),
    (vocabulary.ErrorKind, "ErrorKind", "error kinds"),
    (vocabulary.Capability, "Capability", "capabilities"),
]


def protocol_unions() -> dict[str, set[str]]:
    """``export type Name = 'a' | 'b';`` unions of string literals, by name."""
    found = {}
    for name, body in re.findall(r"export type (\w+) =([^;]*);", PROTOCOL.read_text()):
        words = re.findall(r"'([^']*)'", body)
        if words and not re.sub(r"'[^']*'|\|", "", body).strip():
            found[name] = set(words)
    return found


def docs_words() -> dict[str, set[str]]:
    """The rows of docs/companion.md's table of words: first cell, last cell's words."""
    section = DOCS.read_text().split("### The words", 1)[1].split("\n#", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("|")]
    return {row[0]: set(re.findall(r"`([^`]*)`", row[-1])) for row in rows[2:]}


@pytest.mark.parametrize("words, union, row", GROUPS, ids=[g[1] for g in GROUPS])
def test_protocol_and_docs_spell_the_vocabulary(words, union, row):
    expected = set(get_args(words))
    assert protocol_unions().get(union) == expected
    assert docs_words().get(row) == expected


def test_the_tuples_list_every_literal():
    assert vocabulary.CELL_STATES == get_args(vocabulary.CellState)
    assert vocabulary.ERROR_KINDS == get_args(vocabulary.ErrorKind)
    assert vocabulary.MODES == get_args(vocabulary.Mode)
    assert vocabulary.CAPABILITIES == get_args(vocabulary.Capability)


def test_every_group_of_the_docs_is_checked():
    assert set(docs_words()) == {row for _, _, row in GROUPS}
