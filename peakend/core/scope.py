"""Access scope: which halls the signed-in user may see.

The scope is decided on the server from the signed-in user, never from a widget or a URL,
and the query layer binds it into every query. `None` means every hall.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    hall_ids: frozenset[str] | None = None  # None: all halls

    @classmethod
    def halls(cls, hall_ids) -> Scope:
        return cls(frozenset(hall_ids))

    @property
    def sees_everything(self) -> bool:
        return self.hall_ids is None

    def allows(self, hall_id: str) -> bool:
        return self.hall_ids is None or hall_id in self.hall_ids

    def as_param(self) -> list[str] | None:
        return None if self.hall_ids is None else sorted(self.hall_ids)

    def cache_key(self) -> str:
        """A stable key: part of every cache key so one user's result never serves another."""
        return "*" if self.hall_ids is None else ",".join(sorted(self.hall_ids))


EVERYTHING = Scope(None)
