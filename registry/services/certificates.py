"""Accreditation certificates: data, QR code (segno) and PDF (fpdf2).

The QR code opens the Telegram bot on the recruiter's card (deep link ``?start=v_<public_id>``), so a
worker holding a printed certificate can check it is still valid in seconds; the web verify URL is
printed beneath it for everyone else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import segno
from anyascii import anyascii
from fpdf import FPDF
from sqlmodel import Session

from registry.errors import Conflict
from registry.models import Recruiter
from registry.services import accreditation, standing
from registry.services.countries import country_name
from registry.timeutil import today


@dataclass
class Certificate:
    public_id: str
    legal_name: str
    country: str
    licence: str
    number: str
    valid_from: date
    valid_until: date
    deep_link: str
    verify_url: str


def deep_link(bot_username: str, public_id: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start=v_{public_id}"


def verify_url(public_base_url: str, public_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/verify/{public_id}"


def for_recruiter(
    session: Session, recruiter: Recruiter, *, bot_username: str, public_base_url: str
) -> Certificate:
    """The certificate of an accredited recruiter; refused (Conflict) for any other standing."""
    if recruiter.id is None:
        raise RuntimeError("recruiter.id is not None")
    acc = accreditation.get(session, recruiter.id)
    verdict = standing.verdict_of(acc, recruiter.licence_status, as_of=today())
    if verdict.lapsed:
        raise Conflict(
            f"the accreditation of {recruiter.public_id} ended on {verdict.valid_until:%d %b %Y}; "
            "no certificate is issued for an expired accreditation",
            code="accreditation_ended",
            params={"public_id": recruiter.public_id, "valid_until": str(verdict.valid_until)},
        )
    if not verdict.accredited or not verdict.certificate_number:
        raise Conflict(
            f"{recruiter.public_id} is {verdict.status}: only an accredited recruiter has a certificate",
            code="not_accredited",
            params={"public_id": recruiter.public_id, "status": verdict.status},
        )
    licence = " ".join(x for x in (recruiter.licence_authority, recruiter.licence_number) if x)
    if verdict.valid_from is None or verdict.valid_until is None:
        raise Conflict(
            f"{recruiter.public_id}'s accreditation has no validity dates",
            code="accreditation_without_validity",
            params={"public_id": recruiter.public_id},
        )
    return Certificate(
        public_id=recruiter.public_id,
        legal_name=recruiter.legal_name,
        country=country_name(recruiter.country),
        licence=licence,
        number=verdict.certificate_number,
        valid_from=verdict.valid_from,
        valid_until=verdict.valid_until,
        deep_link=deep_link(bot_username, recruiter.public_id),
        verify_url=verify_url(public_base_url, recruiter.public_id),
    )


def qr_svg(url: str, *, scale: int = 5) -> str:
    """Inline SVG of a QR code for `url` (error correction M: survives a worn printout)."""
    return segno.make(url, error="m").svg_inline(scale=scale, border=2, dark="#0f172a")


def qr_png(url: str, *, scale: int = 10) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def _latin(text: str) -> str:
    """The PDF uses the built-in Helvetica (Latin-1); other scripts are transliterated."""
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        return anyascii(text)


def pdf(cert: Certificate) -> bytes:
    """A one-page A4 certificate."""
    doc = FPDF(orientation="P", unit="mm", format="A4")
    doc.set_title(f"FairRecruit certificate {cert.number}")
    doc.set_author("FairRecruit")
    doc.add_page()
    doc.set_draw_color(22, 101, 52)
    doc.set_line_width(1.2)
    doc.rect(10, 10, 190, 277)
    doc.set_line_width(0.3)
    doc.rect(13, 13, 184, 271)
    doc.set_y(30)
    doc.set_font("Helvetica", "B", 12)
    doc.set_text_color(22, 101, 52)
    doc.cell(0, 8, "FAIRRECRUIT ETHICAL RECRUITMENT REGISTRY", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "B", 28)
    doc.set_text_color(15, 23, 42)
    doc.cell(0, 18, "Certificate of Accreditation", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    doc.set_font("Helvetica", "", 12)
    doc.cell(0, 8, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "B", 20)
    doc.multi_cell(0, 10, _latin(cert.legal_name), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 12)
    doc.multi_cell(
        0,
        7,
        _latin(f"{cert.country}" + (f" - licence {cert.licence}" if cert.licence else "")),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(4)
    doc.multi_cell(
        0,
        7,
        "has been audited against the FairRecruit standard, including the Employer Pays "
        "Principle (no recruitment fees or related costs charged to jobseekers), and is "
        "accredited as an ethical labour recruiter.",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(6)
    rows = [
        ("Public id", cert.public_id),
        ("Certificate number", cert.number),
        ("Valid from", cert.valid_from.strftime("%d %B %Y")),
        ("Valid until", cert.valid_until.strftime("%d %B %Y")),
    ]
    for label, value in rows:
        doc.set_x(45)
        doc.set_font("Helvetica", "", 12)
        doc.cell(55, 8, label)
        doc.set_font("Helvetica", "B", 12)
        doc.cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    y = doc.get_y()
    doc.image(io.BytesIO(qr_png(cert.deep_link)), x=80, y=y, w=50, h=50)
    doc.set_y(y + 52)
    doc.set_font("Helvetica", "", 10)
    doc.cell(
        0,
        6,
        "Scan to check this recruiter in the FairRecruit Telegram bot",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.set_font("Helvetica", "B", 11)
    doc.cell(0, 6, cert.verify_url, align="C", new_x="LMARGIN", new_y="NEXT", link=cert.verify_url)
    doc.set_font("Helvetica", "", 9)
    doc.set_text_color(71, 85, 105)
    doc.ln(4)
    doc.multi_cell(
        0,
        5,
        "The status shown by the registry is authoritative: accreditation can be suspended or "
        "withdrawn before the end of its validity. Always check the current status online.",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(doc.output())
