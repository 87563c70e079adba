"""The ledger: who made each value and each object, apart from any engine."""
from __future__ import annotations

from types import SimpleNamespace

from reactive_kernel.core.ledger import Ledger


def record(cell_id: str, bound=(), deleted=()):
    return SimpleNamespace(id=cell_id, bound=set(bound), deleted=set(deleted))


def test_a_mutation_takes_ownership_but_the_binder_still_holds():
    namespace = {"L": [1]}
    cells = {"c1": record("c1", bound={"L"}), "c2": record("c2")}
    ledger = Ledger(namespace, cells)
    ledger.take("c1", ["L"])
    ledger.bind("c1", ["L"])
    ledger.take("c2", ["L"])  # c2 mutated L
    assert ledger.owner_of("L") == "c2"
    assert ledger.holds(cells["c1"], "L") and ledger.holds(cells["c2"], "L")
    ledger.release("L")
    assert ledger.owner_of("L") is None and ledger.holds(cells["c1"], "L")


def test_an_alias_is_traced_to_the_cell_that_made_the_object():
    inner = [1, 2]
    namespace = {"d": {"k": inner}}
    ledger = Ledger(namespace, {"c1": record("c1")})
    ledger.remember_objects("c1", ["d"])
    assert ledger.objects[id(inner)] == ("c1", "d")
    assert ledger.aliases(inner) == ["d", "d"]  # made by d's cell, and held by d
    namespace["d"] = {}
    assert ledger.aliases(inner) == []  # d no longer holds it


def test_known_names_leave_out_what_a_cell_deleted():
    cells = {"c1": record("c1", deleted={"gone"})}
    ledger = Ledger({}, cells)
    ledger.take("c1", ["gone", "kept"])
    ledger.take("c9", ["orphan"])  # a cell no longer registered
    assert sorted(ledger.known_names()) == ["kept", "orphan"]
