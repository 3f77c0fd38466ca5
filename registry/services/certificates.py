"""Accreditation certificates: data, QR code (segno) and PDF (fpdf2).

The QR code opens the Telegram bot on the recruiter's card (deep link ``?start=v_<public_id>``), so a
worker holding a printed certificate can check it is still valid in seconds; the web verify URL
(``FAIRRECRUIT_PUBLIC_BASE_URL``/verify/<public id>) is printed beneath it for everyone else.

The PDF prints names in every script: Noto Sans embedded (subset) for Latin, Greek and Cyrillic, and
for each other script the Noto font that has it (``fonts-noto-core``, ``fonts-noto-cjk``, found by file
name under ``FAIRRECRUIT_CERTIFICATE_FONT_DIR``), shaped by HarfBuzz (conjuncts, vowel signs, Arabic
joining and right-to-left order). The layout is fixed: the legal name gets a box of its own and its
size shrinks (measured) until it fits, so the QR code and the text beneath always stay at the same
place inside the frame. Without the fonts the certificate is still made: what no installed font can
print is transliterated to Latin letters (``missing_font_note`` says so on the admin page).
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import cast

import segno
from anyascii import anyascii
from fontTools.ttLib import TTCollection, TTFont, TTLibError
from fpdf import FPDF
from fpdf.enums import MethodReturnValue
from sqlmodel import Session

from registry.errors import Conflict
from registry.models import Recruiter
from registry.services import accreditation, standing
from registry.services.countries import country_name
from registry.timeutil import today

log = logging.getLogger(__name__)


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


# ---------------------------------------------------------------------------------------------------
# Fonts: Noto (Debian's fonts-noto-core and fonts-noto-cjk), found by file name under a font directory.

#: Scripts tried first, in this order, for a character Noto Sans lacks (the registry's countries first).
PREFERRED_SCRIPTS = (
    "Devanagari",
    "Bengali",
    "Arabic",
    "Thai",
    "Sinhala",
    "Tamil",
    "Gurmukhi",
    "Gujarati",
    "Oriya",
    "Telugu",
    "Kannada",
    "Malayalam",
    "Myanmar",
    "Khmer",
    "Lao",
    "Tagalog",
    "Hebrew",
    "Georgian",
    "Armenian",
    "Ethiopic",
)
#: Han, kana and Hangul: the Simplified Chinese face of Noto Sans CJK (a collection), or its own file.
CJK_FACE = "Noto Sans CJK SC"
CJK_FILES = (
    ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
    ("NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf"),
    ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf"),
)
FONT_PACKAGES = "fonts-noto-core and fonts-noto-cjk"
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
_CORE_FONT = "Helvetica"  # built into every PDF reader; Latin-1 only


@dataclass(frozen=True)
class FontFace:
    """One font family as fpdf2 gets it: a regular and a bold file (the regular one again when the
    family has no bold), with the face number inside a collection (.ttc)."""

    family: str
    regular: Path
    bold: Path
    regular_number: int = 0
    bold_number: int = 0


@dataclass(frozen=True)
class FontPlan:
    """The fonts a certificate needs and the texts no installed font can print (those are printed
    transliterated to Latin letters)."""

    base: FontFace | None
    fallbacks: tuple[FontFace, ...]
    transliterated: tuple[str, ...]


@lru_cache(maxsize=8)
def _font_files(font_dir: str) -> dict[str, Path]:
    files: dict[str, Path] = {}
    root = Path(font_dir)
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in _FONT_SUFFIXES:
                files.setdefault(path.name, path)
    return files


def _collection_number(path: Path, face_name: str) -> int | None:
    """The index of the face named `face_name` in the collection `path` (None when it has none or
    the file cannot be read)."""
    try:
        with open(path, "rb") as file:
            for number, font in enumerate(TTCollection(file, lazy=True).fonts):
                if face_name in (font["name"].getDebugName(4), font["name"].getDebugName(1)):
                    return number
    except (OSError, TTLibError) as e:
        log.warning("font %s cannot be read (%s); certificates do without it", path, e)
    return None


@lru_cache(maxsize=8)
def available_fonts(font_dir: str) -> tuple[FontFace | None, tuple[FontFace, ...]]:
    """Noto Sans (None when missing) and the fonts for other scripts found under `font_dir`, in the
    order they are tried."""
    files = _font_files(font_dir)

    def face(family: str, regular: str, bold: str) -> FontFace | None:
        if regular not in files:
            return None
        return FontFace(family, files[regular], files.get(bold, files[regular]))

    base = face("NotoSans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
    if base is not None and not (_coverage(base.regular, 0) and _coverage(base.bold, 0)):
        base = None  # unreadable
    others: list[FontFace] = []
    for script in PREFERRED_SCRIPTS:
        if found := face(f"NotoSans{script}", f"NotoSans{script}-Regular.ttf", f"NotoSans{script}-Bold.ttf"):
            others.append(found)
    for regular, bold in CJK_FILES:
        if regular not in files:
            continue
        if regular.endswith(".ttc"):
            number = _collection_number(files[regular], CJK_FACE)
            if number is None:
                continue
            bold_number = _collection_number(files[bold], CJK_FACE) if bold in files else None
            if bold_number is None:
                others.append(FontFace("NotoSansCJK", files[regular], files[regular], number, number))
            else:
                others.append(FontFace("NotoSansCJK", files[regular], files[bold], number, bold_number))
        elif found := face("NotoSansCJK", regular, bold):
            others.append(found)
        break
    # Any other Noto Sans script last (historic and minority scripts).
    known = {f.regular.name for f in others}
    for name in sorted(files):
        m = re.fullmatch(r"NotoSans([A-Z][A-Za-z]+)-Regular\.ttf", name)
        if not m or name in known or m.group(1) in ("Display", "Mono", "Math", "Symbols"):
            continue
        if found := face(f"NotoSans{m.group(1)}", name, f"NotoSans{m.group(1)}-Bold.ttf"):
            others.append(found)
    return base, tuple(others)


@lru_cache(maxsize=64)
def _coverage(path: Path, number: int) -> frozenset[int]:
    """The characters the font has (none when the file cannot be read: it is then never used)."""
    try:
        with open(path, "rb") as file:
            return frozenset(TTFont(file, fontNumber=number, lazy=True).getBestCmap() or ())
    except (OSError, TTLibError) as e:
        log.warning("font %s cannot be read (%s); certificates do without it", path, e)
        return frozenset()


def _covers(face: FontFace, char: str) -> bool:
    return ord(char) in _coverage(face.regular, face.regular_number)


def plan_fonts(texts: list[str], font_dir: Path | str) -> FontPlan:
    """Which fonts print `texts`: Noto Sans, and for each character it lacks the first font of
    `available_fonts` that has it. A text with a character no installed font has (or every text, when
    Noto Sans itself is missing) is listed in `transliterated`."""
    base, others = available_fonts(str(font_dir))
    if base is None:
        return FontPlan(None, (), tuple(t for t in texts if not _is_latin1(t)))
    chosen: list[FontFace] = []
    transliterated: list[str] = []
    for text in texts:
        needed: list[FontFace] = []
        for char in dict.fromkeys(text):
            if not char.isprintable() or char.isspace() or _covers(base, char):
                continue
            face = next((f for f in chosen + needed if _covers(f, char)), None)
            face = face or next((f for f in others if _covers(f, char)), None)
            if face is None:
                transliterated.append(text)
                break
            if face not in chosen and face not in needed:
                needed.append(face)
        else:
            chosen.extend(needed)
    chosen.sort(key=others.index)
    return FontPlan(base, tuple(chosen), tuple(transliterated))


def missing_font_note(cert: Certificate, font_dir: Path | str) -> str | None:
    """Why the PDF prints part of `cert` in Latin letters instead of its own script (None: it does not)."""
    plan = plan_fonts(_texts(cert), font_dir)
    if not plan.transliterated:
        return None
    return (
        f"This server has no font for some characters of {', '.join(repr(t) for t in plan.transliterated)}: "
        f"the PDF prints them in Latin letters. Install {FONT_PACKAGES} (or set "
        "FAIRRECRUIT_CERTIFICATE_FONT_DIR to where Noto fonts are) to print them in their own script."
    )


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------------------------------------------
# The PDF: one A4 page, a fixed layout (mm).

PAGE_WIDTH = 210.0
FRAME_INNER = (13.0, 13.0, 197.0, 284.0)  # left, top, right, bottom of the frame's inner line
MARGIN = 22.0  # text keeps 9 mm inside the frame
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
NAME_BOX = (64.0, 40.0)  # top, height: the legal name, centred, as large as fits (22 pt down to 7 pt)
LICENCE_BOX = (106.0, 12.0)
QR_BOX = ((PAGE_WIDTH - 50.0) / 2, 186.0, 50.0)  # left, top, side
URL_BOX = (244.0, 6.0)
_PT = 25.4 / 72  # mm per point
_LINE = 1.25  # line height as a multiple of the font size
_GREEN, _INK, _GREY = (22, 101, 52), (15, 23, 42), (71, 85, 105)


def _licence_line(cert: Certificate) -> str:
    return cert.country + (f" · licence {cert.licence}" if cert.licence else "")


def _texts(cert: Certificate) -> list[str]:
    """The texts of a certificate that come from the registry (the rest is fixed English), composed
    (NFC: a letter and its accent as one character, the form fonts draw best)."""
    return [unicodedata.normalize("NFC", t) for t in (cert.legal_name, _licence_line(cert), cert.verify_url)]


def _sizes(largest: float, smallest: float) -> list[float]:
    return [largest - 0.5 * i for i in range(int((largest - smallest) / 0.5) + 1)]


class _Page:
    """An FPDF page with the fonts of a `FontPlan` and text that always fits its box."""

    def __init__(self, cert: Certificate, font_dir: Path | str) -> None:
        plan = plan_fonts(_texts(cert), font_dir)
        self.transliterated = set(plan.transliterated)
        if self.transliterated:
            log.warning(
                "certificate %s: no installed font prints %s; printed in Latin letters (install %s)",
                cert.number,
                ", ".join(repr(t) for t in sorted(self.transliterated)),
                FONT_PACKAGES,
            )
        doc = FPDF(orientation="P", unit="mm", format="A4")
        doc.set_auto_page_break(False)
        doc.set_margins(MARGIN, MARGIN, MARGIN)
        self.unicode = plan.base is not None
        if plan.base is None:
            self.family = _CORE_FONT
        else:
            for face in (plan.base, *plan.fallbacks):
                doc.add_font(face.family, "", face.regular, collection_font_number=face.regular_number)
                doc.add_font(face.family, "B", face.bold, collection_font_number=face.bold_number)
            doc.set_fallback_fonts([face.family for face in plan.fallbacks])
            doc.set_text_shaping(True)
            self.family = plan.base.family
        self.doc = doc

    def text(self, value: str) -> str:
        """`value` as this page can print it: in its own script, or transliterated when no font has it."""
        value = unicodedata.normalize("NFC", value)
        if value in self.transliterated or (not self.unicode and not _is_latin1(value)):
            return anyascii(value)
        return value

    def font(self, style: str, size: float) -> float:
        """Set the font; returns the line height."""
        self.doc.set_font(self.family, style, size)
        return size * _PT * _LINE

    def line(self, y: float, text: str, *, style: str = "", size: float = 12, link: str = "") -> None:
        height = self.font(style, size)
        self.doc.set_xy(MARGIN, y)
        self.doc.cell(TEXT_WIDTH, height, text, align="C", link=link)

    def paragraph(self, y: float, text: str, *, size: float, style: str = "") -> None:
        height = self.font(style, size)
        self.doc.set_xy(MARGIN, y)
        self.doc.multi_cell(TEXT_WIDTH, height, text, align="C")

    def fitted(self, box: tuple[float, float], text: str, *, style: str, sizes: list[float]) -> float:
        """Print `text` centred in the box (top, height) at the largest size whose wrapped lines fit
        it (measured); at the smallest size, the lines that fit, the last one ending in an ellipsis.
        Returns the size used."""
        top, box_height = box
        text = self.text(text)
        size, height, lines = sizes[-1], 0.0, [text]
        for size in sizes:
            height = self.font(style, size)
            lines = cast(
                list[str],
                self.doc.multi_cell(TEXT_WIDTH, height, text, dry_run=True, output=MethodReturnValue.LINES),
            )
            if len(lines) * height <= box_height:
                break
        else:
            ellipsis = "…" if self.unicode else "..."
            lines = lines[: max(1, int(box_height // height))]
            last = lines[-1].rstrip()
            while last and self.doc.get_string_width(last + ellipsis) > TEXT_WIDTH:
                last = last[:-1].rstrip()
            lines[-1] = last + ellipsis
            text = "\n".join(lines)
        self.doc.set_xy(MARGIN, top + (box_height - len(lines) * height) / 2)
        self.doc.multi_cell(TEXT_WIDTH, height, text, align="C")
        return size


def pdf(cert: Certificate, *, font_dir: Path | str) -> bytes:
    """A one-page A4 certificate."""
    page = _Page(cert, font_dir)
    doc = page.doc
    doc.set_title(f"FairRecruit certificate {cert.number}")
    doc.set_author("FairRecruit")
    doc.add_page()
    doc.set_draw_color(*_GREEN)
    doc.set_line_width(1.2)
    doc.rect(10, 10, PAGE_WIDTH - 20, 277)
    doc.set_line_width(0.3)
    left, top, right, bottom = FRAME_INNER
    doc.rect(left, top, right - left, bottom - top)
    doc.set_text_color(*_GREEN)
    page.line(26, "FAIRRECRUIT ETHICAL RECRUITMENT REGISTRY", style="B", size=12)
    doc.set_text_color(*_INK)
    page.line(36, "Certificate of Accreditation", style="B", size=28)
    page.line(54, "This certifies that", size=12)
    page.fitted(NAME_BOX, cert.legal_name, style="B", sizes=_sizes(22, 7))
    page.fitted(LICENCE_BOX, _licence_line(cert), style="", sizes=_sizes(12, 7))
    page.paragraph(
        122,
        "has been audited against the FairRecruit standard, including the Employer Pays "
        "Principle (no recruitment fees or related costs charged to jobseekers), and is "
        "accredited as an ethical labour recruiter.",
        size=12,
    )
    rows = [
        ("Public id", cert.public_id),
        ("Certificate number", cert.number),
        ("Valid from", cert.valid_from.strftime("%d %B %Y")),
        ("Valid until", cert.valid_until.strftime("%d %B %Y")),
    ]
    for i, (label, value) in enumerate(rows):
        doc.set_xy(45, 148 + 8 * i)
        page.font("", 12)
        doc.cell(55, 8, label)
        page.font("B", 12)
        doc.cell(PAGE_WIDTH - MARGIN - 100, 8, page.text(value))
    qr_left, qr_top, qr_side = QR_BOX
    doc.image(
        io.BytesIO(qr_png(cert.deep_link)), x=qr_left, y=qr_top, w=qr_side, h=qr_side, link=cert.deep_link
    )
    page.line(qr_top + qr_side + 2, "Scan to check this recruiter in the FairRecruit Telegram bot", size=10)
    page.fitted(URL_BOX, cert.verify_url, style="B", sizes=_sizes(11, 6))
    doc.link(MARGIN, URL_BOX[0], TEXT_WIDTH, URL_BOX[1], cert.verify_url)
    doc.set_text_color(*_GREY)
    page.paragraph(
        255,
        "The status shown by the registry is authoritative: accreditation can be suspended or "
        "withdrawn before the end of its validity. Always check the current status online.",
        size=9,
    )
    return bytes(doc.output())
