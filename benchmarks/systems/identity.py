"""The do-nothing system: returns its input.  Spin removed 0, damage 0 — the floor."""

from __future__ import annotations


class Identity:
    name = "identity"

    def restore(self, texts: list[str]) -> list[str]:
        return list(texts)

    def info(self) -> dict:
        return {"version": "1"}
