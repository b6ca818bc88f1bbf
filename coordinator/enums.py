"""Enumerations the way every area stores and shows them."""
from __future__ import annotations

import enum

from sqlalchemy import Enum


class Labelled(enum.Enum):
    """An enumeration whose values are what people read ("Child protection"); names are what is stored."""

    @property
    def label(self) -> str:
        return self.value


def stored_enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    """A column type storing the member's name as text (no database enum type to migrate)."""
    return Enum(cls, native_enum=False, length=length)
