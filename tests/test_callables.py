"""core/callables.py: the effects table matched by identity, and a call's
callee resolved from the namespace (used by the resources and the cache)."""
from __future__ import annotations

import datetime
import functools
import os
import random
import types

from reactive_kernel.core.callables import Known, callee, imported
from reactive_kernel.core.namespace import MISSING


def test_imported_never_imports():
    assert imported("os.path.join") is os.path.join
    assert imported("a_module_nobody_has.f") is MISSING
    assert imported("os.no_such_name") is MISSING


def test_known_matches_by_identity_through_wrappers_and_class_methods():
    known = Known(lambda: [("os.getcwd", "cwd"), ("datetime.datetime.now", "clock")])
    known.refresh()
    assert known.get(os.getcwd) == "cwd"
    assert known.get(datetime.datetime.now) == "clock"  # a new bound method at every lookup

    @functools.wraps(os.getcwd)
    def wrapper():
        return os.getcwd()
    assert known.get(wrapper) == "cwd"
    assert known.get(os.listdir) is None
    assert known.get(lambda: 1) is None


def test_callee_follows_modules_and_stops_at_objects():
    rng = random.Random(0)
    namespace = {"os": os, "rng": rng, "dt": datetime}
    assert callee(("os", "path", "join"), namespace).function is os.path.join
    assert callee(("rng", "random"), namespace) == (MISSING, rng, "random")
    assert callee(("open",), {}).function is open  # builtins
    assert callee(("nobody",), namespace) is None
    # through a class only when asked
    assert callee(("dt", "datetime", "now"), namespace) == (MISSING, datetime.datetime, "now")
    now = callee(("dt", "datetime", "now"), namespace, through=(types.ModuleType, type)).function
    assert now == datetime.datetime.now
    # an attribute of a user object is followed only when deep
    holder = types.SimpleNamespace(inner=rng)
    assert callee(("h", "inner", "random"), {"h": holder}) is None
    assert callee(("h", "inner", "random"), {"h": holder}, deep=True) == (MISSING, rng, "random")
