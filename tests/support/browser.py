"""What every browser test keeps when it fails: the page as it was and the server's log."""
from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def keep_failure(page, server, name: str) -> None:
    """A screenshot and the Jupyter server's log in tests/artifacts/, named ``name``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"))
    (ARTIFACTS / f"{name}-server.log").write_text(server.log())
