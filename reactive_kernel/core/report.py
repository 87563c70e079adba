"""What a run reports: the ``metadata.reactive`` of every execute_reply."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from dataclasses import dataclass, field

from .secrets import mask


@dataclass
class RunEntry:
    cell_id: str
    role: str
    status: str
    #: its values came from a cache, not from running its code
    cached: bool = False

    def to_json(self) -> dict:
        entry = {"cell_id": self.cell_id, "role": self.role, "status": self.status}
        if self.cached:
            entry["cached"] = True
        return entry


@dataclass
class Report:
    cell_id: str | None
    mode: str
    #: "notebook" when the page order was known, else "registration"
    order: str = "registration"
    cleared: list[str] = field(default_factory=list)
    #: names put back to a later cell's value after the plan
    restored: list[str] = field(default_factory=list)
    ran: list[RunEntry] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    error: dict | None = None

    def __setattr__(self, name, value) -> None:
        """The error's message is masked as it is set (a SyntaxError or a bug
        of ours may quote a cell's code): ``metadata.reactive`` and
        ``%reactive`` both read it here.  Its other fields are ids and words."""
        if name == "error" and isinstance(value, dict) and isinstance(value.get("message"), str):
            value = {**value, "message": mask(value["message"])}
        super().__setattr__(name, value)

    def to_json(self) -> dict:
        return {
            "cell_id": self.cell_id,
            "mode": self.mode,
            "order": self.order,
            "cleared": sorted(set(self.cleared)),
            "restored": sorted(set(self.restored)),
            "ran": [e.to_json() for e in self.ran],
            "stale": list(self.stale),
            "error": self.error,
        }

    def status_of(self, cell_id: str) -> str | None:
        for entry in self.ran:
            if entry.cell_id == cell_id:
                return entry.status
        return None
