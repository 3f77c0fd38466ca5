"""What every form of the web front end shares."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class FormNotValidated(RuntimeError):
    """A required field was read before its form validated: a bug in the view, never bad input."""


def required(data: T | None) -> T:
    """The data of a required field, read once its form has validated (None only before that)."""
    if data is None:
        raise FormNotValidated("a required field is read before its form validated")
    return data
