"""Domain errors raised by services. Edges translate them (flash message, problem+json, bot reply)."""


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed."""

    code = "domain_error"
    status = 409

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


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
