"""One demo user per role, so a new user can try the app as each kind of manager.

The passwords are public (they are in the README): they exist for the demo database only.
"""

from __future__ import annotations

from dataclasses import dataclass

from peakend.auth.roles import Role
from peakend.warehouse.accounts import Target, _reading, add_user, get_user


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: Role
    display_name: str
    halls: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        """An address on the reserved example domain (RFC 2606): briefs and alerts can be
        tried against a local mail server, and never reach anyone."""
        return f"{self.username}@peakend.example"


def demo_users(target: Target) -> list[DemoUser]:
    """The demo users for the halls loaded: the regional manager has the first region
    (alphabetically) and the hall manager the first hall of that region, so the two can
    be compared side by side."""
    with _reading(target) as cur:
        row = cur.execute("select region, hall_id from halls order by region, hall_id limit 1").fetchone()
    if row is None:
        raise RuntimeError("create the demo users after the halls are loaded")
    region, hall_id = row
    return [
        DemoUser("hall.manager", "peakend-hall", Role.HALL_MANAGER, "Wang Fang", halls=(hall_id,)),
        DemoUser("region.manager", "peakend-region", Role.REGIONAL_MANAGER, "Li Wei", regions=(region,)),
        DemoUser("head.office", "peakend-hq", Role.HEAD_OFFICE, "Zhang Min"),
        DemoUser("data.admin", "peakend-admin", Role.DATA_ADMIN, "Chen Jie"),
    ]


def create_demo_users(target: Target) -> list[DemoUser]:
    """Add the demo users (those not there yet) and return all four.

    `target` is the Database or, better, the demo generator's cursor inside its
    transaction, so the demo database appears with its users or not at all.
    """
    users = demo_users(target)
    for u in users:
        if get_user(target, u.username) is None:
            add_user(
                target,
                u.username,
                u.role,
                display_name=u.display_name,
                password=u.password,
                email=u.email,
                halls=u.halls,
                regions=u.regions,
            )
    return users
