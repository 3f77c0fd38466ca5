"""The certificate through the admin views: a non-Latin legal name printed in its own script, the QR
code decoded from the rendered PDF, the verify address from FAIRRECRUIT_PUBLIC_BASE_URL; without
the fonts the PDF is still made and the print view says why the name is in Latin letters."""

from __future__ import annotations

import pytest
from anyascii import anyascii
from sqlmodel import Session

from registry.services import auditlog
from tests import factories
from tests.pdfs import read

NAME = "सप्तकोशी ब्रिज मेनपावर प्रा. लि."
BASE_URL = "https://registry.example.gov.np"


@pytest.fixture
def settings(settings):
    settings.public_base_url = BASE_URL
    settings.telegram_bot_username = "FairRecruitTestBot"
    return settings


@pytest.fixture
def recruiter(engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name=NAME)
        s.commit()
    return rec


def test_the_pdf_prints_the_name_in_its_script_with_a_working_qr_code(as_viewer, recruiter):
    resp = as_viewer.get(f"/admin/recruiters/{recruiter.public_id}/certificate.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    doc = read(resp.data)
    assert "NotoSansDevanagariBold" in doc.fonts and doc.is_embedded("NotoSansDevanagariBold")
    assert doc.has_text(NAME, by=("glyphs", "pypdf", "pdfium"))
    verify = f"{BASE_URL}/verify/{recruiter.public_id}"
    assert doc.has_text(verify) and verify in doc.uris
    bot_link = f"https://t.me/FairRecruitTestBot?start=v_{recruiter.public_id}"
    assert [q.text for q in doc.qr_codes] == [bot_link]
    page = as_viewer.get(f"/admin/recruiters/{recruiter.public_id}/certificate").get_data(as_text=True)
    assert NAME in page and verify in page
    assert 'id="font-note"' not in page


def test_without_fonts_the_pdf_is_made_in_latin_letters_and_the_page_says_why(
    as_viewer, recruiter, settings, tmp_path
):
    settings.certificate_font_dir = tmp_path  # no fonts there
    resp = as_viewer.get(f"/admin/recruiters/{recruiter.public_id}/certificate.pdf")
    assert resp.status_code == 200
    doc = read(resp.data)
    assert doc.has_text(anyascii(NAME)) and not doc.has_text(NAME)
    assert [q.text for q in doc.qr_codes] == [
        f"https://t.me/FairRecruitTestBot?start=v_{recruiter.public_id}"
    ]
    page = as_viewer.get(f"/admin/recruiters/{recruiter.public_id}/certificate").get_data(as_text=True)
    assert 'id="font-note"' in page
    assert "the PDF prints them in Latin letters" in page and "fonts-noto-core and fonts-noto-cjk" in page
