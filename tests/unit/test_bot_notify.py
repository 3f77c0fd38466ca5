"""The message a follower gets when a recruiter's status changes, in the follower's language."""

from __future__ import annotations

import pytest

from bot.i18n import LANGUAGES, gettext_for
from bot.notify import status_change_text

PAYLOAD = {
    "type": "recruiter.status_changed",
    "data": {
        "recruiter": {"public_id": "RA-7K3Q9", "legal_name": "Himal Sunrise Overseas", "country": "NP"},
        "from": "accredited",
        "to": "suspended",
        "reason": "overdue major finding",
    },
}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_status_change_in_each_language(lang):
    _ = gettext_for(lang)
    text = status_change_text(lang, PAYLOAD)
    assert "Himal Sunrise Overseas" in text and "RA-7K3Q9" in text
    assert _("suspended") in text
    assert _("Pay no fee to this recruiter. If you already paid, tell us with /report.") in text
    assert "/follow" in text
    assert "overdue major finding" not in text  # internal reasons stay in the registry


def test_good_news_has_no_warning():
    payload = {"data": {**PAYLOAD["data"], "from": "suspended", "to": "accredited"}}
    text = status_change_text("en", payload)
    assert "its accreditation is now accredited" in text
    assert "Pay no fee" not in text
