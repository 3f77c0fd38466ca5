"""Texts of the messages sent to workers who follow a recruiter, in the follower's language.

``status_change_text(language, payload)`` renders an outbox payload (``recruiter.status_changed``)
for ``Follower.language``; the dispatcher can use it in place of an English-only text.
"""

from __future__ import annotations

from bot.i18n import N_, gettext_for

STATUS = {
    "applicant": N_("applied, not accredited yet"),
    "accredited": N_("accredited"),
    "rejected": N_("not accredited"),
    "suspended": N_("suspended"),
    "expired": N_("expired"),
    "withdrawn": N_("withdrawn"),
}


def status_change_text(language: str, payload: dict) -> str:
    _ = gettext_for(language)
    data = (payload or {}).get("data", payload or {})
    rec = data.get("recruiter", {})
    to = data.get("to", "")
    status = _(STATUS[to]) if to in STATUS else to
    lines = [
        _("🔔 News about {name} ({public_id}): its accreditation is now {status}.").format(
            name=rec.get("legal_name", ""), public_id=rec.get("public_id", ""), status=status
        )
    ]
    if to in ("suspended", "withdrawn", "rejected", "expired"):
        lines.append(_("Pay no fee to this recruiter. If you already paid, tell us with /report."))
    lines.append(_("Send /follow to stop these messages."))
    return "\n\n".join(lines)
