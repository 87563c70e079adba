"""The corpus harness's judge of a plan (``corpus.explain_plan``): which cells
the spec asks for.  Its verdicts are the issue 21 figures of the closing
notes, so its own mistakes are tested here, in shapes taken from the
corpus's plans (pydata-book ch08 and ch11)."""
from tests.corpus import explain_plan


def plan(*cells):
    """``(cell id, role)`` pairs in plan order: every one ran fine."""
    return [{"cell_id": c, "role": role, "status": "ok"} for c, role in cells]


def link(reads=None, gives=None, later=None, mutations=(), bindings=()):
    return {"reads": reads or {}, "gives": gives or {}, "later": later or {},
            "mutations": list(mutations), "bindings": list(bindings), "imports": []}


INDEX = {c: i for i, c in enumerate("abcdefgh")}


def verdicts(rows):
    return {row["cell_id"]: row["by_spec"] for row in rows}


def test_a_stale_ancestors_readers_are_needed_whichever_pass_comes_first():
    """ch11 cell 95: ancestors cancelled by an earlier failure run again for
    the target; a cell reading what such an ancestor binds is planned after
    it and before the target.  Its need is known only once the ancestor's is."""
    ran = plan(("a", "ancestor"), ("b", "descendant"), ("c", "target"))
    links = {"a": link(gives={"s": ["b", "c"]}, bindings=["s"]),
             "b": link(reads={"s": "a"}), "c": link(reads={"s": "a"})}
    rows = explain_plan(ran, links, {"s": "ndarray:1"}, {"s": "ndarray:2"}, INDEX, stale_before={"a", "b", "c"})
    assert verdicts(rows) == {"a": True, "b": True, "c": True}


def test_a_stale_providers_equal_value_is_still_new_by_the_spec():
    """Only a current cell rebuilt for a gone input reproduces its values:
    a stale one's readers rerun, even where its values compare equal."""
    ran = plan(("a", "ancestor"), ("b", "target"), ("c", "descendant"))
    links = {"a": link(gives={"x": ["b", "c"]}, bindings=["x"]),
             "b": link(reads={"x": "a"}), "c": link(reads={"x": "a"})}
    same = {"x": "ndarray:1"}
    rows = explain_plan(ran, links, same, same, INDEX, stale_before={"a"})
    assert verdicts(rows) == {"a": True, "b": True, "c": True}
    assert "stale provider's value, equal" in rows[2]["cause"]
    assert not rows[2]["by_value"]


def test_a_rebuilds_other_readers_are_not_needed():
    """A current ancestor run only because the target mutated its value:
    its other reader, value unchanged, is not asked for by the spec."""
    ran = plan(("a", "ancestor"), ("b", "target"), ("c", "descendant"))
    links = {"a": link(gives={"df": ["b", "c"]}, later={"df": {"cell": "b", "mutates": True, "imports": False}},
                       bindings=["df"]),
             "b": link(reads={"df": "a"}, mutations=["df"]), "c": link(reads={"df": "a"})}
    same = {"df": "DataFrame:1"}
    rows = explain_plan(ran, links, same, same, INDEX)
    assert verdicts(rows) == {"a": True, "b": True, "c": False}


def test_a_not_gone_input_of_a_current_ancestor_is_no_reason():
    ran = plan(("a", "ancestor"), ("b", "target"))
    links = {"a": link(gives={"x": ["b"]}, bindings=["x"]), "b": link(reads={"x": "a"})}
    rows = explain_plan(ran, links, {}, {}, INDEX)
    assert verdicts(rows) == {"a": False, "b": True}
    assert rows[0]["cause"] == "x for cell(s) [1]: not gone"


def test_a_descendant_that_rebuilds_a_gone_input_for_a_needed_reader():
    """ch08 cell 46: a later reader of what the target changed also mutates
    ``long_data``, which a cell after the target binds: that binder runs
    first to rebuild it (the engine plans it as a descendant, reading
    nothing from the plan), and the change in place between them is
    replayed.  The cells showing ``long_data`` meanwhile are not needed."""
    ran = plan(("a", "target"), ("b", "descendant"), ("c", "descendant"), ("d", "descendant"),
               ("e", "descendant"))
    links = {"a": link(gives={"rng": ["e"]}, bindings=["rng"]),
             "b": link(gives={"long": ["c", "d", "e"]}, later={"long": {"cell": "d", "mutates": True, "imports": False}},
                       bindings=["long"]),
             "c": link(reads={"long": "b"}),
             "d": link(reads={"long": "b"}, mutations=["long"]),
             "e": link(reads={"long": "d", "rng": "a"}, mutations=["long"])}
    rows = explain_plan(ran, links, {"long": "DataFrame:1", "rng": "x"}, {"long": "DataFrame:1", "rng": "y"},
                        INDEX)
    assert verdicts(rows) == {"a": True, "b": True, "c": False, "d": True, "e": True}
    assert rows[1]["cause"] == "long for cell(s) [2, 3, 4]: gone: mutated by its reader cell 3"
    assert rows[3]["cause"].startswith("long from cell 1: rebuilt ancestor's value, its change replayed")
    assert rows[4]["cause"].startswith("long from cell 3: changed in place by it, value unchanged")
