"""The machinery every API route shares: bearer-key authentication, scopes, the per-key rate limit,
request parsing and validation with the pydantic models of ``schemas``, problem+json errors, and the
operation table the OpenAPI document is generated from.

A hostile body costs little: each operation has a body limit (its largest legal body, checked on
Content-Length before anything is read and enforced on the stream), JSON nested deeper than any legal
body is refused, keys a model does not know are refused before the model validates anything, and a
refusal lists at most ``bodies.MAX_LISTED_ERRORS`` fields. A database that cannot be reached answers
503 with Retry-After."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from http import HTTPStatus
from itertools import islice

from flask import Blueprint, Response, current_app, g, request
from limits import RateLimitItem
from limits import parse as parse_limit
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from werkzeug.exceptions import HTTPException

from registry.api import cache
from registry.api.bodies import MAX_BODY_DEPTH, json_depth_exceeds, unknown_key_errors
from registry.api.cache import ApiCaches
from registry.api.schemas import MAX_LISTED_ERRORS
from registry.errors import DomainError
from registry.extensions import (
    DatabaseUnavailable,
    driver_reads,
    get_session,
    is_database_unreachable,
    read_only_request,
)
from registry.timeutil import utcnow

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://fairrecruit.org/problems/"
PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)


# --- problems ---------------------------------------------------------------------------------

PROBLEM_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "server-error",
    503: "unavailable",
}
DEFAULT_BODY_LIMIT = 16 * 1024  # an operation with a body and no limit of its own


class ApiError(Exception):
    """Raised by API code to answer with a problem."""

    def __init__(self, status: int, detail: str, *, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem(status: int, detail: str, *, headers: dict | None = None, **extra) -> Response:
    body = {
        "type": PROBLEM_BASE + PROBLEM_SLUGS.get(status, str(status)),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if v is not None},
    }
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def field_errors(err: ValidationError, *, prefix: str = "", limit: int | None = None) -> list[dict]:
    out = []
    for e in islice(err.errors(include_url=False, include_context=False, include_input=False), limit):
        loc = [str(p) for p in e["loc"]]
        # Unions add the model name to the path; drop those segments.
        loc = [p for p in loc if not p[:1].isupper() and p not in ("function-after",)]
        out.append(
            {
                "field": ".".join([prefix, *loc] if prefix else loc) or "body",
                "message": e["msg"],
                "type": e["type"],
            }
        )
    return out


def http_problem(e: HTTPException) -> Response:
    status = e.code or 500
    headers = {}
    extra = {}
    if status == 405:
        allow = [m for m in (getattr(e, "valid_methods", None) or []) if m not in ("OPTIONS",)]
        if allow:
            headers["Allow"] = ", ".join(sorted(set(allow) | {"OPTIONS"}))
        detail = f"{request.method} is not allowed here" + (
            f"; use {', '.join(sorted(set(allow)))}" if allow else ""
        )
    elif status == 429:  # API limits answer with ApiError (check_rate_limit); this is any other 429
        retry_after = getattr(e, "retry_after", None)
        seconds = int(retry_after) if isinstance(retry_after, int) else 60
        headers["Retry-After"] = str(seconds)
        extra["retry_after"] = seconds
        detail = f"rate limit exceeded; retry after {seconds} s"
    elif status == 404:
        detail = f"no such resource: {request.path}"
    elif status == 413:
        detail = "the request body is too large"
    else:
        detail = e.description or HTTPStatus(status).description
    if status >= 500:
        detail = "an internal error occurred; it has been logged"
    return problem(status, detail, headers=headers, **extra)


def api_error_problem(e: ApiError) -> Response:
    return problem(e.status, e.detail, headers=e.headers, **e.extra)


def domain_problem(e: DomainError) -> Response:
    """A refusal of the registry's rules: its stable `code` (and, for a field, the field's error of
    that type) tell programs what went wrong; `detail` tells people."""
    errors = None
    if e.status == 422:
        errors = [{"field": e.field or "body", "message": e.message, "type": e.code}]
    return problem(e.status, e.message, code=e.code, errors=errors)


def invalid_body(errors: list[dict], count: int, detail: str = "the request body is invalid") -> ApiError:
    """422 listing at most MAX_LISTED_ERRORS of the `count` invalid fields."""
    listed = errors[:MAX_LISTED_ERRORS]
    if count > len(listed):
        detail += f" ({count} errors; the first {len(listed)} are listed)"
    return ApiError(422, detail, errors=listed, error_count=count)


def database_problem(e: Exception) -> Response:
    """503 with Retry-After: the database could not be reached (nothing was changed)."""
    return unreachable_problem(request.method, request.path, e)


def unreachable_problem(method: str, path: str, e: Exception) -> Response:
    """`database_problem` for the request `method` `path` (no request context needed)."""
    log.warning("database unreachable: %s %s (%s)", method, path, type(e).__name__)
    unavailable = DatabaseUnavailable()
    seconds = unavailable.retry_after
    return problem(
        503,
        f"the registry's database cannot be reached at the moment; nothing was changed. Retry after {seconds} s",
        headers={"Retry-After": str(seconds), "Cache-Control": "no-store"},
        retry_after=seconds,
    )


def internal_problem(e: Exception) -> Response:
    if is_database_unreachable(e):
        return database_problem(e)
    log.exception("API request failed: %s %s", request.method, request.path)
    return problem(500, "an internal error occurred; it has been logged")


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


# --- authentication, scopes and the rate limit -------------------------------------------------


@dataclass
class Caller:
    key_id: int
    prefix: str
    company_id: int
    scopes: frozenset[str]
    last_used_at: datetime | None = None
    digest: str = ""  # sha-256 of the bearer token: its entry in the per-process key cache


def _unauthorized(detail: str, error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="FairRecruit API"' + (f', error="{error}"' if error else "")
    return ApiError(401, detail, headers={"WWW-Authenticate": challenge})


def bearer_token(header: str) -> str | None:
    """The key an Authorization header carries as 'Bearer <key>'; None for any other header."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate() -> Caller:
    from registry.services import companies

    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthorized("send your API key as 'Authorization: Bearer <key>'")
    token = bearer_token(header)
    if token is None:
        raise _unauthorized("the Authorization header must be 'Bearer <key>'", "invalid_request")
    digest = companies.hash_secret(token)
    known = api_caches().keys
    key = known.get(digest)
    if key is None:
        key = companies.authenticate_key(driver_reads(), token)
        if key is None:
            raise _unauthorized("the API key is unknown or has been revoked", "invalid_token")
        known.put(digest, key)
    return Caller(key.id, key.prefix, key.company_id, frozenset(key.scopes), key.last_used_at, digest)


def api_caches() -> ApiCaches:
    return current_app.extensions["fairrecruit.api_cache"]


def caller() -> Caller:
    return g.api_caller


@lru_cache(maxsize=1024)
def _limit_counter(value: str, prefix: str) -> tuple[RateLimitItem, str]:
    """The limit and the storage key of its counter for one API key (the fixed-window strategy's key)."""
    item = parse_limit(value)
    return item, item.key_for("api-v1", f"apikey:{prefix}")


# A process takes several requests' worth of a key's budget from the shared counter at once and spends
# them locally (for at most LEASE_SECONDS): one storage round trip per LEASE_MAX requests instead of one
# per request. A lease is at most 1 % of the budget, so small budgets (under 200 per window) are counted
# one request at a time, exactly; unspent requests of a lease are lost when it lapses.
LEASE_MAX = 20
LEASE_SECONDS = 1.0


def lease_size(amount: int) -> int:
    return max(1, min(LEASE_MAX, amount // 100))


class QuotaLeases:
    """The budget this process has taken and not yet spent, per rate-limit counter."""

    def __init__(self):
        self._lock = threading.Lock()
        self._leases: dict[str, list] = {}  # counter -> [requests left, valid until (monotonic)]

    def spend(self, counter: str, now: float) -> bool:
        with self._lock:
            lease = self._leases.get(counter)
            if lease is None or lease[0] <= 0 or lease[1] <= now:
                return False
            lease[0] -= 1
            return True

    def keep(self, counter: str, left: int, until: float) -> None:
        with self._lock:
            self._leases[counter] = [left, until]


def check_rate_limit(c: Caller) -> None:
    """Count this request against its key's budget (FAIRRECRUIT_API_RATE_LIMIT, shared by every
    operation, fixed windows); over budget: 429 with Retry-After and X-RateLimit-* headers.

    The counter lives in the application's rate-limit storage (Redis in production), under the key the
    fixed-window strategy of ``limits`` uses; a process takes its budget in leases (QuotaLeases)."""
    count_request(current_app.extensions, c.prefix)


def count_request(extensions: dict, prefix: str) -> None:
    """`check_rate_limit` for the key `prefix`, given the application's extensions (no request context
    needed: registry.api.fast counts its requests with it)."""
    item, counter = _limit_counter(extensions["fairrecruit.settings"].api_rate_limit, prefix)
    leases: QuotaLeases = extensions["fairrecruit.api_quota"]
    now = time.monotonic()
    if leases.spend(counter, now):
        return
    storage = extensions["fairrecruit.rate_limit_storage"]
    wanted = lease_size(item.amount)
    count = storage.incr(counter, item.get_expiry(), amount=wanted)
    granted = min(wanted, item.amount - (count - wanted))  # the part of this lease within the budget
    if granted >= 1:
        leases.keep(counter, granted - 1, now + min(LEASE_SECONDS, item.get_expiry()))
        return
    reset_at = storage.get_expiry(counter)
    seconds = max(1, min(int(item.get_expiry()), math.ceil(reset_at - time.time())))
    raise ApiError(
        429,
        f"rate limit exceeded ({item}); retry after {seconds} s",
        headers={
            "Retry-After": str(seconds),
            "X-RateLimit-Limit": str(item.amount),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(reset_at)),
        },
        retry_after=seconds,
    )


# --- cursors ----------------------------------------------------------------------------------


CURSOR_PATTERN = r"^[0-9a-z]{1,12}$"
CURSOR_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_cursor(position: int) -> str:
    """An opaque page cursor: a position (last id seen, or an offset) in base 36."""
    out = ""
    while True:
        position, digit = divmod(position, 36)
        out = CURSOR_DIGITS[digit] + out
        if not position:
            return out


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    return min(int(cursor, 36), 2**31 - 1)


# --- the operation table ----------------------------------------------------------------------


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    tag: str
    scope: str | None
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    responses: dict[int, tuple[type[BaseModel] | None, str]]
    errors: tuple[int, ...]
    path_params: dict[str, dict] = field(default_factory=dict)
    extra_content: dict[int, dict] = field(default_factory=dict)
    examples: dict = field(default_factory=dict)


OPERATIONS: list[Operation] = []
MAX_BODY_ITEMS_KEYS = ("ids", "licences")


@lru_cache(maxsize=64)
def _no_query(model: type[BaseModel]) -> BaseModel:
    return model.model_validate({})


def _parse_query(model: type[BaseModel]) -> BaseModel:
    if not request.args:
        return _no_query(model)  # the defaults (views only read their query)
    data: dict = {}
    fields = model.model_fields
    for name in request.args:
        values = request.args.getlist(name)
        if name in fields and len(values) > 1:
            raise ApiError(
                422,
                f"give {name} once",
                errors=[{"field": name, "message": "repeated parameter", "type": "repeated"}],
            )
        data[name] = values[0]  # a control character (NUL too) is refused by the field, naming it
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise invalid_body(
            field_errors(err, limit=MAX_LISTED_ERRORS), err.error_count(), "invalid query parameters"
        ) from None


def _read_body(limit: int) -> bytes:
    """The raw body, at most `limit` bytes: a larger Content-Length is refused before anything is read,
    and a body without one (chunked) is cut off at the limit (413 either way)."""
    length = request.content_length
    if length is not None and length >= limit:
        raise ApiError(413, f"the request body is too large: at most {limit - 1} bytes here (got {length})")
    request.max_content_length = limit  # the stream is read no further than the limit
    raw = request.get_data(cache=True)
    if len(raw) >= limit:  # a stream without Content-Length that reached the limit (cut off there)
        raise ApiError(413, f"the request body is too large: at most {limit - 1} bytes here")
    return raw


def _parse_body(model: type[BaseModel], *, limit: int) -> BaseModel:
    mimetype = request.mimetype
    if mimetype != "application/json" and not (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    ):
        raise ApiError(415, f"send the body as application/json (got {mimetype or 'no Content-Type'})")
    raw = _read_body(limit)
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ApiError(400, f"the body nests deeper than {MAX_BODY_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, f"the body is not valid JSON: {err}") from None
    errors, count = unknown_key_errors(model, data)
    if count:
        raise invalid_body(errors, count, "the request body has keys this operation does not know")
    if json_depth_exceeds(data, MAX_BODY_DEPTH):
        raise ApiError(400, f"the body nests deeper than {MAX_BODY_DEPTH} levels")
    entries = current_app.extensions["fairrecruit.settings"].max_bulk_verify
    if isinstance(data, dict):
        for key in MAX_BODY_ITEMS_KEYS:
            if isinstance(data.get(key), list) and len(data[key]) > entries:
                raise ApiError(
                    413,
                    f"at most {entries} entries in '{key}' per request (got {len(data[key])}); "
                    "split the list into several requests",
                )
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise invalid_body(field_errors(err, limit=MAX_LISTED_ERRORS), err.error_count()) from None


def render(model: type[BaseModel], data, status: int = 200, headers: dict | None = None) -> Response:
    obj = data if isinstance(data, model) else model.model_validate(data)
    resp = Response(obj.model_dump_json(), status=status, mimetype="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    scope: str | None,
    description: str = "",
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    responses: dict[int, tuple[type[BaseModel] | None, str]],
    errors: tuple[int, ...] = (),
    path_params: dict[str, dict] | None = None,
    extra_content: dict[int, dict] | None = None,
    examples: dict | None = None,
    authenticated: bool = True,
    body_limit: int = DEFAULT_BODY_LIMIT,
    announce: Callable[..., None] | None = None,
):
    """Register an API route and describe it for the OpenAPI document.

    The view gets path parameters, plus ``query=`` and ``body=`` (validated models) when declared,
    and returns a Response (or raises ApiError / a DomainError). `body_limit`: the largest body this
    operation accepts, in bytes (its largest legal body; see ``schemas``). `announce`: called with the
    path parameters before the key is looked up, to announce the view's first database read
    (``DriverReads.expect``), which that lookup then carries in the same statement.
    """

    def decorator(view: Callable) -> Callable:
        endpoint = view.__name__

        @wraps(view)
        def limited(**kwargs):
            if query is not None:
                kwargs["query"] = _parse_query(query)
            if body is not None:
                kwargs["body"] = _parse_body(body, limit=body_limit)
            return view(**kwargs)

        @wraps(view)
        def handler(**kwargs):
            if any(isinstance(v, str) and "\x00" in v for v in kwargs.values()):
                raise ApiError(404, f"no such resource: {request.path!r}")
            if not authenticated:
                return limited(**kwargs)
            if method == "GET":
                # A read needs no transaction: every statement of it is a consistent snapshot by itself,
                # and skipping BEGIN/ROLLBACK saves two database round trips per request (if the request
                # touches the database at all: see registry.api.cache).
                read_only_request()
            if announce is not None:
                announce(**kwargs)
            c = authenticate()
            g.api_caller = c
            if scope and scope not in c.scopes:
                raise ApiError(403, f"this API key lacks the '{scope}' scope", required_scope=scope)
            check_rate_limit(c)
            if method == "GET":
                response = limited(**kwargs)
                _touch(c, commit=True)
                return response
            # A change: the key's use is recorded in the same transaction the view commits once.
            _touch(c, commit=False)
            return limited(**kwargs)

        bp.add_url_rule(rule, endpoint=endpoint, view_func=handler, methods=[method])
        OPERATIONS.append(
            Operation(
                method=method,
                rule=API_PREFIX + rule,
                endpoint=endpoint,
                summary=summary,
                description=description or (view.__doc__ or "").strip(),
                tag=tag,
                scope=scope,
                query=query,
                body=body,
                responses=responses,
                errors=tuple(
                    sorted(
                        set(errors)
                        | {503}
                        | ({401, 429} if authenticated else set())
                        | ({403} if scope else set())
                        | ({400, 413, 415, 422} if body is not None else set())
                    )
                ),
                path_params=path_params or {},
                extra_content=extra_content or {},
                examples=examples or {},
            )
        )
        return handler

    return decorator


TOUCH_EVERY = timedelta(seconds=60)


def _touch(c: Caller, *, commit: bool) -> None:
    """Record the key's use (at most once a minute). After a read, in its own short transaction;
    before a change, as part of the change's transaction (committed, or rolled back, with it)."""
    from registry.services import companies

    if not use_to_record(c.last_used_at):
        return
    session = get_session()
    if not commit:
        companies.touch_key(session, c.key_id)
        return
    record_use(session, api_caches(), c.key_id, c.digest)


def use_to_record(last_used_at: datetime | None) -> bool:
    """Whether a key last used at `last_used_at` is due to have its use recorded (once a minute)."""
    return last_used_at is None or utcnow() - _aware(last_used_at) >= TOUCH_EVERY


def record_use(session: Session, caches: ApiCaches, key_id: int, digest: str) -> None:
    """Record a read's use of the key `key_id` in its own short transaction on `session`, and in the
    process's memory of the key (`digest`: sha-256 of its token)."""
    from registry.services import companies

    now = utcnow()
    try:
        # Only last_used_at changes: the commit need not empty this process's caches (registry.api.cache).
        session.connection().execution_options(**{cache.KEEP: True})
        if companies.touch_key(session, key_id):
            session.commit()
        else:
            session.rollback()
    except SQLAlchemyError:  # a busy database must not fail a read that already succeeded
        session.rollback()
        log.warning("could not record API key use", exc_info=True)
        return
    # Recorded (here or, within the minute, by another process): the cached key need not try again.
    known = caches.keys
    cached = known.get(digest)
    if cached is not None and cached.id == key_id:
        known.put(digest, replace(cached, last_used_at=now))


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def mutation(actor_caller: Caller | None = None):
    """Name the company as actor for the audit log of this unit of work."""
    from registry.services import auditlog

    c = actor_caller or caller()
    session = get_session()
    auditlog.set_actor(session, f"company:{c.company_id}")
    return session
