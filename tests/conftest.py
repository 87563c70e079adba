import pytest

from tests.support.client import KernelSession


@pytest.fixture
def kernel():
    """A fresh reactive kernel per test: reactive state must not leak between tests."""
    with KernelSession("reactive") as session:
        yield session
