import os

import pytest
from hypothesis import settings

from tests.support.client import KernelSession

# CI (``CI`` set, as ``.ci/run`` does) runs each property test on the same
# examples every time: a run that must pass to land is no place to find a
# new rare case.  Elsewhere the examples are random, so developers keep
# exploring (HYPOTHESIS_MAX_EXAMPLES sizes the search).  Loaded here, before
# any test module builds its settings, so they inherit it.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def kernel():
    """A fresh reactive kernel per test: reactive state must not leak between tests."""
    with KernelSession("reactive") as session:
        yield session
