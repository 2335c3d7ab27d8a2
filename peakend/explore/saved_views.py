"""Saved views of the explore page: a name for the page's URL state, kept per user in the
database (table saved_views) so it can be reopened later, from any browser."""

from __future__ import annotations

import pandas as pd

from peakend.warehouse.db import Database

MAX_NAME = 80
ANONYMOUS = "anonymous"


class ViewNameError(ValueError):
    """The name can't be used; the message key says why (for t())."""


def owner_name(user) -> str:
    """Who owns the views: the signed-in user's name, else 'anonymous' (before sign-in)."""
    if user is None:
        return ANONYMOUS
    if isinstance(user, str):
        return user.strip() or ANONYMOUS
    for attr in ("username", "name", "user_name"):
        value = getattr(user, attr, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if isinstance(user, dict):
        for attr in ("username", "name"):
            value = user.get(attr)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ANONYMOUS


def clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ViewNameError("explore.view_name_empty")
    if len(name) > MAX_NAME:
        raise ViewNameError("explore.view_name_long")
    return name


def list_views(db: Database, owner: str) -> pd.DataFrame:
    """The user's saved views, most recent first (name, query_string, saved_at)."""
    return db.query("explore_saved_views", owner=owner)


def save_view(db: Database, owner: str, name: str, query_string: str) -> str:
    """Save (or replace) the view `name`; returns the cleaned name.

    Not a data load: it must not bump the data version (which would empty every cache),
    so it is one statement on its own cursor, atomic by itself.
    """
    name = clean_name(name)
    db.query("explore_save_view", owner=owner, view_name=name, query_string=query_string)
    return name


def delete_view(db: Database, owner: str, name: str) -> bool:
    return len(db.query("explore_delete_view", owner=owner, view_name=name)) > 0
