"""The password rule for admin-panel users: at least 12 characters, not a common password, not like
the e-mail address, and not easy to guess (zxcvbn's estimate). A common password with digits or
symbols around it counts as common.

The common-password list is zxcvbn's (the 30,000 most frequent passwords of public breach corpora),
shipped with the zxcvbn package. One rule for the admin panel, the CLI and the demo seed.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache

from registry.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 500
# zxcvbn score (0..4): 3 is "safely unguessable: moderate protection from an offline slow-hash attack"
MIN_SCORE = 3
# zxcvbn's cost grows with the length; a password whose first 100 characters are strong is strong.
SCORED_PREFIX = 100
SIMILARITY = 0.75

_NON_ALNUM = re.compile(r"[\W_]+")
# A common password with digits or symbols around it ("iloveyou1234", "!!summer2024") is still common.
_CORE = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.S)


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _folded(text: str) -> str:
    return _NON_ALNUM.sub("", text.casefold())


def _like_email(password: str, email: str) -> bool:
    pw = _folded(password)
    local, _, domain = email.casefold().partition("@")
    candidates = [c for c in (_folded(local), _folded(email), _folded(domain.split(".")[0])) if len(c) >= 3]
    for c in candidates:
        if c in pw and len(c) * 2 >= len(pw):  # the e-mail is most of the password
            return True
        if pw in c or SequenceMatcher(None, pw, c).ratio() >= SIMILARITY:
            return True
    return False


def check(password: str, *, email: str = "") -> None:
    """Raise InvalidInput (field "password", a specific code) when `password` may not be used."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"the password must have at least {MIN_LENGTH} characters",
            field="password",
            code="password_too_short",
            params={"min": MIN_LENGTH},
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"the password must have at most {MAX_LENGTH} characters",
            field="password",
            code="password_too_long",
            params={"max": MAX_LENGTH},
        )
    folded = password.casefold()
    core = _CORE.match(folded)
    if folded in common_passwords() or (
        core and len(core.group(1)) >= 4 and core.group(1) in common_passwords()
    ):
        raise InvalidInput(
            "this password is on the list of common passwords; choose another",
            field="password",
            code="password_common",
        )
    if email and _like_email(password, email):
        raise InvalidInput(
            "the password must not be the e-mail address or look like it",
            field="password",
            code="password_like_email",
        )
    from zxcvbn import zxcvbn

    local, _, domain = email.partition("@")
    result = zxcvbn(
        password[:SCORED_PREFIX], user_inputs=[s for s in (email, local, domain, "fairrecruit") if s]
    )
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "it is easy to guess"
        raise InvalidInput(
            f"the password is too easy to guess ({hint.rstrip('.').lower()}); a few unrelated words "
            "make a strong one",
            field="password",
            code="password_weak",
            params={"warning": hint},
        )
