"""The certificate PDF prints every script: each name in its own Noto font, embedded and shaped by
HarfBuzz, found again in the PDF's text; a 300-character name fits its box inside the frame; the QR
code, decoded from the rendered page, opens the bot; without the fonts the certificate is still made,
with the name in Latin letters and a note saying why."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from anyascii import anyascii

from registry.services import certificates
from registry.settings import Settings
from tests.pdfs import Box, read, squash

FONT_DIR = Settings.model_fields["certificate_font_dir"].default
BASE_URL = "https://registry.example.gov.np"
FRAME = Box(*certificates.FRAME_INNER)

# Extractors that read each script back (tests/pdfs.py): "glyphs" maps each drawn glyph through the
# font's ToUnicode map; pypdf also reads Thai, PDFium also Arabic (the others give Arabic in visual
# order, PDFium misplaces Thai vowel marks). pypdf and PDFium read short Devanagari and Bengali names
# too, but turn the unmapped second glyph of a shaped cluster into a stray character once a subset has
# more than 31 glyphs.
READ_BY = {
    "devanagari": ("glyphs",),
    "bengali": ("glyphs",),
    "chinese": ("glyphs", "pypdf", "pdfium"),
    "thai": ("glyphs", "pypdf"),
    "arabic": ("pdfium",),
    "latin": ("glyphs", "pypdf", "pdfium"),
    "no spaces": ("glyphs", "pypdf", "pdfium"),
}

# (legal name, the Noto font that must print it)
NAMES = {
    "devanagari": ("सप्तकोशी ब्रिज मेनपावर प्रा. लि.", "NotoSansDevanagariBold"),
    "bengali": ("যমুনা ল্যান্টার্ন ওভারসিজ লিমিটেড", "NotoSansBengaliBold"),
    "chinese": ("北京国际人力资源有限公司", "NotoSansCJKSCBold"),
    "thai": ("บริษัท จัดหางาน สยาม จำกัด", "NotoSansThaiBold"),
    "arabic": ("شركة الخليج للتوظيف المحدودة", "NotoSansArabicBold"),
    "latin": ("Çalışkan İnsan Kaynakları Şirketi Ltd. Şti.", "NotoSansBold"),
}


@pytest.fixture(scope="module", autouse=True)
def noto_fonts():
    base, others = certificates.available_fonts(str(FONT_DIR))
    families = {f.family for f in others}
    missing = {"NotoSansDevanagari", "NotoSansBengali", "NotoSansThai", "NotoSansArabic", "NotoSansCJK"}
    if base is None or missing - families:
        pytest.fail(
            f"Noto fonts missing under {FONT_DIR}: install {certificates.FONT_PACKAGES} (.ci/run does)"
        )


def cert(name: str, *, licence: str = "DoFE 1234/075/076", base_url: str = BASE_URL):
    return certificates.Certificate(
        public_id="RA-7K3Q9",
        legal_name=name,
        country="Nepal",
        licence=licence,
        number="FR-2026-0042",
        valid_from=date(2026, 1, 5),
        valid_until=date(2029, 1, 4),
        deep_link=certificates.deep_link("@FairRecruitBot", "RA-7K3Q9"),
        verify_url=certificates.verify_url(base_url, "RA-7K3Q9"),
    )


def render(c, font_dir=FONT_DIR):
    return read(certificates.pdf(c, font_dir=font_dir))


def name_chars(doc):
    """The boxes of the characters PDFium reads between 'This certifies that' and the licence line."""
    band = Box(0, 60, certificates.PAGE_WIDTH, certificates.LICENCE_BOX[0])
    return [box for _, box in doc.char_boxes if box.overlaps(band)]


def assert_layout(doc):
    """One page; every character and the QR code inside the frame; no text on the QR code; the QR
    code, read from the pixels, opens the bot on the recruiter's card."""
    assert doc.pages == 1
    outside = [(char, box) for char, box in doc.char_boxes if not box.inside(FRAME)]
    assert not outside, outside[:5]
    assert [q.text for q in doc.qr_codes] == ["https://t.me/FairRecruitBot?start=v_RA-7K3Q9"]
    qr = doc.qr_codes[0].box
    assert qr.inside(FRAME), qr
    on_qr = [(char, box) for char, box in doc.char_boxes if box.overlaps(qr)]
    assert not on_qr, on_qr[:5]


@pytest.mark.parametrize("script", NAMES)
def test_every_script_is_printed_in_its_own_embedded_font(script):
    name, family = NAMES[script]
    doc = render(cert(name))
    assert family in doc.fonts, sorted(doc.fonts)
    assert all(doc.is_embedded(f) for f in doc.fonts), "every font is embedded"
    assert doc.has_text(name, by=READ_BY[script]), (doc.text_glyphs, doc.text_pypdf, doc.text_pdfium)
    if squash(anyascii(name)) != squash(name):
        assert squash(anyascii(name)) not in squash(doc.text_glyphs), "in its script, not transliterated"
    # The rest of the certificate is there too.
    assert doc.has_text("Certificate of Accreditation") and doc.has_text("Nepal · licence DoFE 1234/075/076")
    assert doc.has_text("FR-2026-0042") and doc.has_text("04 January 2029")
    assert_layout(doc)
    boxes = name_chars(doc)
    assert boxes, "the name's characters are found in its box"


def test_text_is_shaped():
    """HarfBuzz shaping: Devanagari and Bengali conjuncts are one glyph for several characters;
    an Arabic letter takes a different glyph at the start, middle and end of a word."""
    for script in ("devanagari", "bengali"):
        name, family = NAMES[script]
        pairs = render(cert(name)).to_unicode(family)
        conjuncts = [
            text for text in pairs.values() if len(text) > 1 and ("\u094d" in text or "\u09cd" in text)
        ]
        assert conjuncts, pairs
    name, family = NAMES["arabic"]
    pairs = render(cert(name)).to_unicode(family)
    lam = [code for code, text in pairs.items() if text == "\u0644"]
    assert len(lam) >= 2, pairs  # ل initial in للتوظيف, medial in الخليج


def test_mixed_scripts_use_each_font():
    name = "Padma (पद्म) Overseas 北京 شركة Ltd."
    doc = render(cert(name))
    assert {"NotoSansBold", "NotoSansDevanagariBold", "NotoSansCJKSCBold", "NotoSansArabicBold"} <= set(
        doc.fonts
    )
    for part in ("Padma", "पद्म", "Overseas", "北京"):
        assert doc.has_text(part), part
    assert doc.has_text("شركة", by=("pdfium",))
    assert_layout(doc)


LONG = {
    "latin": "Himalayan Crescent International Overseas Manpower Recruitment and Placement Services ",
    "devanagari": "सप्तकोशी ब्रिज अन्तर्राष्ट्रिय मेनपावर तथा वैदेशिक रोजगार सेवा प्राइभेट लिमिटेड ",
    "bengali": "যমুনা ল্যান্টার্ন আন্তর্জাতিক ওভারসিজ রিক্রুটিং এজেন্সি প্রাইভেট লিমিটেড ",
    "chinese": "北京国际人力资源开发与海外劳务合作服务有限责任公司",
    "arabic": "شركة الخليج العربي للتوظيف والخدمات العمالية الدولية المحدودة ",
    "thai": "บริษัท จัดหางาน สยาม อินเตอร์เนชั่นแนล แมนพาวเวอร์ เซอร์วิส จำกัด ",
    "no spaces": "A" * 300,
}


@pytest.mark.parametrize("script", LONG)
def test_a_300_character_name_fits_its_box_in_the_frame(script):
    name = (LONG[script] * 20)[:300].strip()
    name = name + "x" * (300 - len(name))
    assert len(name) == 300
    doc = render(cert(name))
    assert_layout(doc)
    top, height = certificates.NAME_BOX
    box = Box(certificates.MARGIN, top, certificates.PAGE_WIDTH - certificates.MARGIN, top + height)
    chars = name_chars(doc)
    assert chars
    assert all(b.inside(box) for b in chars), [b for b in chars if not b.inside(box)][:3]
    # The whole name is printed (no ellipsis): found in full by the extractors that read the script.
    assert doc.has_text(name, by=READ_BY[script])
    assert "…" not in doc.text_glyphs


def test_a_long_licence_and_verify_address_stay_inside_the_frame():
    doc = render(
        cert(
            "Tilicho Horizon Overseas Pvt. Ltd.",
            licence="Department of Foreign Employment " + "9002/080/081 " * 12,
            base_url="https://verify.fairrecruit.example.org/" + "registry/" * 8,
        )
    )
    assert_layout(doc)
    assert doc.has_text("9002/080/081 " * 12)
    assert doc.has_text("https://verify.fairrecruit.example.org/" + "registry/" * 8 + "verify/RA-7K3Q9")


def test_the_verify_address_comes_from_the_public_base_url():
    doc = render(cert("Tilicho Horizon Overseas Pvt. Ltd.", base_url="https://registry.example.gov.np/"))
    url = "https://registry.example.gov.np/verify/RA-7K3Q9"
    assert doc.has_text(url)
    assert url in doc.uris, doc.uris  # and it is a link
    assert "https://t.me/FairRecruitBot?start=v_RA-7K3Q9" in doc.uris  # so is the QR code


def link_fonts(tmp_path: Path, *names: str) -> Path:
    """A font directory holding only the named Noto files (links to the installed ones)."""
    installed = certificates._font_files(str(FONT_DIR))
    for name in names:
        (tmp_path / name).symlink_to(installed[name])
    return tmp_path


@pytest.fixture
def warnings_logged(caplog, monkeypatch):
    """The module's warnings, whatever logging set-up an earlier test in the session left behind."""
    monkeypatch.setattr(logging.getLogger(certificates.__name__), "disabled", False)
    caplog.set_level(logging.WARNING, logger=certificates.__name__)
    return caplog


def test_without_fonts_the_certificate_is_made_in_latin_letters(tmp_path, warnings_logged):
    caplog = warnings_logged
    c = cert(NAMES["devanagari"][0])
    doc = render(c, font_dir=tmp_path)
    assert set(doc.fonts) == {"Helvetica", "Helvetica-Bold"}
    assert doc.has_text(anyascii(NAMES["devanagari"][0]))
    assert_layout(doc)
    assert "printed in Latin letters" in caplog.text and "fonts-noto-core" in caplog.text
    note = certificates.missing_font_note(c, tmp_path)
    assert note and NAMES["devanagari"][0] in note and "fonts-noto-core and fonts-noto-cjk" in note
    # A Latin-1 name needs no Noto font at all.
    assert certificates.missing_font_note(cert("Tilicho Horizon Overseas Pvt. Ltd."), tmp_path) is None


def test_a_missing_script_font_transliterates_that_text_only(tmp_path):
    fonts = link_fonts(
        tmp_path, "NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSansDevanagari-Regular.ttf"
    )
    name = NAMES["devanagari"][0]
    doc = render(cert(name), font_dir=fonts)
    assert "NotoSansDevanagari" in doc.fonts  # no bold file: the regular one prints bold text
    assert doc.has_text(name)
    assert certificates.missing_font_note(cert(name), fonts) is None
    chinese = NAMES["chinese"][0]
    doc = render(cert(chinese), font_dir=fonts)
    assert doc.has_text(anyascii(chinese)) and "NotoSansBold" in doc.fonts
    note = certificates.missing_font_note(cert(chinese), fonts)
    assert note and chinese in note
    assert_layout(doc)


def test_decomposed_accents_are_printed_composed():
    """A name typed with combining accents (NFD) is printed with the precomposed letters, which the
    fonts draw with the accent in place."""
    import unicodedata

    name = unicodedata.normalize("NFD", "Nguyễn Việt Đức Manpower Công ty")
    assert any(unicodedata.combining(c) for c in name)
    doc = render(cert(name))
    glyphs = doc.to_unicode("NotoSansBold")
    assert "ễ" in glyphs.values() and "ệ" in glyphs.values()
    assert not [t for t in glyphs.values() if any(unicodedata.combining(c) for c in t)], glyphs
    assert doc.has_text(unicodedata.normalize("NFC", name))


def test_an_unreadable_font_file_is_left_out(tmp_path, warnings_logged):
    caplog = warnings_logged
    fonts = link_fonts(tmp_path, "NotoSansDevanagari-Regular.ttf", "NotoSans-Bold.ttf")
    (fonts / "NotoSans-Regular.ttf").write_bytes(b"not a font")
    name = NAMES["devanagari"][0]
    doc = render(cert(name), font_dir=fonts)
    assert set(doc.fonts) == {"Helvetica", "Helvetica-Bold"}
    assert doc.has_text(anyascii(name))
    assert "cannot be read" in caplog.text
    assert certificates.missing_font_note(cert(name), fonts)
