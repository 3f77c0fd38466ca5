"""GET /api/v1/recruiters/{public_id}, the API's most frequent request (companies polling their
suppliers), answered in front of Flask's request machinery when it succeeds.

The answer is the one the view ``registry.api.recruiters.get_recruiter`` gives, made by the same
functions in the same order: the summary announced so that the key lookup carries it (one round trip on
the process's driver connection, ``registry.db.DriverReads``), the key authenticated (``companies.
authenticate_key``, the per-process memory of ``registry.api.cache``), the ``read`` scope, the request
counted against the key's budget (``core.count_request``), the JSON answer (``recruiters.detail_answer``),
the key's use recorded at most once a minute (``core.record_use``). What it skips is what this request
does not need: the request and application contexts, URL matching, the page hooks (CSRF, cookie session,
language and sign-in cookies) and the Response object.

Only the plain request is answered here: GET, a public id of letters, digits and dashes, no query
string, a bearer key that is known, not revoked and has the ``read`` scope, and a recruiter that exists.
Every other request goes to Flask, which answers it as before (401, 403, 404, 422, HEAD, ``?at=``).
Nothing is counted against the budget before that decision, so no request is counted twice. Three other
answers are made here, as Flask makes them: 503 when the database cannot be reached (asking it again
through Flask would double the wait), 429 once the request was counted over the budget, and a logged 500
for a failure after it was counted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask
from sqlmodel import Session

from registry.api.core import (
    API_PREFIX,
    ApiError,
    api_error_problem,
    bearer_token,
    count_request,
    problem,
    record_use,
    unreachable_problem,
    use_to_record,
)
from registry.api.recruiters import announce_summary, detail_answer
from registry.db import DriverReads
from registry.extensions import is_database_unreachable
from registry.services import companies
from registry.timeutil import today

log = logging.getLogger(__name__)

PREFIX = API_PREFIX + "/recruiters/"
PLAIN_ID = re.compile(r"[A-Za-z0-9-]{1,40}\Z")
READ_SCOPE = "read"


class DetailFastPath:
    """WSGI middleware: the plain, successful GET of one recruiter's status (see the module's
    documentation); every other request goes on to `wsgi_app`."""

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.extensions = app.extensions
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or not path.startswith(PREFIX)
            or environ.get("QUERY_STRING")
            or not PLAIN_ID.match(path, len(PREFIX))
        ):
            return self.wsgi_app(environ, start_response)
        answered = self.answer(path[len(PREFIX) :], environ.get("HTTP_AUTHORIZATION", ""), path)
        if answered is None:
            return self.wsgi_app(environ, start_response)
        if isinstance(answered, str):
            data = answered.encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
            )
            return [data]
        return answered(environ, start_response)

    def answer(self, public_id: str, authorization: str, path: str) -> Any:
        """The detail's JSON text, a problem Response (429, 500, 503), or None: Flask answers."""
        token = bearer_token(authorization)
        if token is None:
            return None
        ext = self.extensions
        settings, caches = ext["fairrecruit.settings"], ext["fairrecruit.api_cache"]
        as_of = today()
        reads = DriverReads(ext["fairrecruit.engine"])
        try:
            announce_summary(settings, caches, reads, public_id, as_of)
            digest = companies.hash_secret(token)
            key = caches.keys.get(digest)
            if key is None:
                key = companies.authenticate_key(reads, token)
                if key is None:
                    return None
                caches.keys.put(digest, key)
            if READ_SCOPE not in key.scopes:
                return None
            hit = detail_answer(settings, caches, reads, public_id, as_of)
        except Exception as err:  # noqa: BLE001 - Flask answers what this path does not expect
            if is_database_unreachable(err):
                return unreachable_problem("GET", path, err)
            log.debug("fast path declined %s", path, exc_info=True)
            return None
        finally:
            reads.close()
        if hit is None:
            return None
        try:
            count_request(ext, key.prefix)
            if use_to_record(key.last_used_at):  # at most once a minute, after the read (as Flask's path)
                with Session(ext["fairrecruit.engine"], expire_on_commit=False) as session:
                    record_use(session, caches, key.id, digest)
        except ApiError as over:
            return api_error_problem(over)
        # Counted already: a failure is answered here, as Flask's handler answers (core.internal_problem).
        except Exception:  # noqa: BLE001
            log.exception("API request failed: GET %s", path)
            return problem(500, "an internal error occurred; it has been logged")
        return hit[2]
