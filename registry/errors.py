"""Domain errors raised by services. Edges translate them (flash message, problem+json, bot reply).

Every error carries a stable ``code`` (what went wrong, e.g. ``amount_too_small``) and ``params``
(the values a translation needs, e.g. ``{"min": 1}``); edges choose their words from those and never
from ``message``, which is English for logs and the command line. The class says how bad it is
(``status``: not found, invalid input, conflict); without a ``code`` an error has its class's.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed."""

    code = "domain_error"
    status = 409

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.params: dict[str, Any] = dict(params or {})


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class Conflict(DomainError):
    code = "conflict"
    status = 409


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409
