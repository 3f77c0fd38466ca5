"""Reading a certificate PDF as a person and a phone would: its text (two extractors), the fonts it
embeds, its links, and the page rendered to an image with the QR code decoded from the pixels."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import pypdf
import pypdfium2
import zxingcpp

MM = 72 / 25.4  # points per mm
RENDER_SCALE = 3  # pixels per point


def squash(text: str) -> str:
    """`text` without spaces, line breaks and control characters (extractors differ in those), NFC."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf"))


@dataclass
class Box:
    """A rectangle in mm from the page's top-left corner."""

    left: float
    top: float
    right: float
    bottom: float

    def inside(self, other: Box) -> bool:
        return (
            self.left >= other.left
            and self.top >= other.top
            and self.right <= other.right
            and self.bottom <= other.bottom
        )

    def overlaps(self, other: Box) -> bool:
        return not (
            self.right <= other.left
            or other.right <= self.left
            or self.bottom <= other.top
            or other.bottom <= self.top
        )


@dataclass
class QrCode:
    text: str
    box: Box


@dataclass
class ReadPdf:
    pages: int
    text_pypdf: str
    text_pdfium: str
    text_glyphs: str  # each drawn glyph's ToUnicode text, in drawing order (see glyph_text)
    fonts: dict[str, dict]  # base font name (subset prefix removed) -> font dictionary
    uris: list[str]
    char_boxes: list[tuple[str, Box]]  # every character PDFium finds, with its box
    qr_codes: list[QrCode]
    page_height_mm: float

    def has_text(self, expected: str, *, by: tuple[str, ...] = ("pypdf", "pdfium", "glyphs")) -> bool:
        """Whether each of the extractors `by` finds `expected` (spaces and line breaks ignored)."""
        wanted = squash(expected)
        texts = {"pypdf": self.text_pypdf, "pdfium": self.text_pdfium, "glyphs": self.text_glyphs}
        return all(wanted in squash(texts[name]) for name in by)

    def to_unicode(self, family: str) -> dict[int, str]:
        """Glyph code -> text of the ToUnicode map of the embedded font named `family`."""
        return _to_unicode(self.fonts[family]) or {}

    def is_embedded(self, family: str) -> bool:
        font = self.fonts[family]
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _to_unicode(font) -> dict[int, str] | None:
    """Code -> text of a composite font's ToUnicode map (None for a simple font)."""
    if "/ToUnicode" not in font or font.get("/Subtype") != "/Type0":
        return None
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    pairs = {}
    for section in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", section):
            pairs[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return pairs


def glyph_text(reader: pypdf.PdfReader, page) -> str:
    """The page's text as its glyphs say, in the order they are drawn: each 2-byte code of a composite
    font through the font's ToUnicode map. A glyph the map leaves out (the second glyph of a shaped
    cluster whose text the first one carries) adds nothing, where pypdf and PDFium add the code
    itself as a character. Right-to-left text comes out in visual order."""
    fonts = {name: ref.get_object() for name, ref in page["/Resources"]["/Font"].items()}
    maps = {name: _to_unicode(font) for name, font in fonts.items()}
    current: dict[int, str] | None = None
    out: list[str] = []
    for operands, operator in pypdf.generic.ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            current = maps[operands[0]]
        elif operator in (b"Tj", b"TJ"):
            strings = operands[0] if operator == b"TJ" else [operands[0]]
            for string in strings:
                if not isinstance(string, (pypdf.generic.TextStringObject, pypdf.generic.ByteStringObject)):
                    continue
                raw = string.get_original_bytes()
                if current is None:
                    out.append(raw.decode("latin-1"))
                    continue
                raw = raw.removeprefix(b"\xfe\xff") if len(raw) % 2 == 0 else raw
                codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
                out.extend(current.get(code, "") for code in codes)
        elif operator == b"ET":
            out.append("\n")
    return "".join(out)


def read(data: bytes) -> ReadPdf:
    reader = pypdf.PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    fonts = {}
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        fonts[str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]] = font
    uris = [str(a.get_object()["/A"]["/URI"]) for a in page.get("/Annots", [])]

    doc = pypdfium2.PdfDocument(data)
    try:
        pdfium_page = doc[0]
        width_pt, height_pt = pdfium_page.get_size()
        textpage = pdfium_page.get_textpage()
        text_pdfium = textpage.get_text_range()
        char_boxes = []
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            char_boxes.append(
                (char, Box(left / MM, (height_pt - top) / MM, right / MM, (height_pt - bottom) / MM))
            )
        image = pdfium_page.render(scale=RENDER_SCALE).to_pil()
    finally:
        doc.close()
    px_per_mm = RENDER_SCALE * MM
    qr_codes = []
    for code in zxingcpp.read_barcodes(image):
        corners = [code.position.top_left, code.position.top_right, code.position.bottom_right]
        corners.append(code.position.bottom_left)
        xs = [p.x / px_per_mm for p in corners]
        ys = [p.y / px_per_mm for p in corners]
        qr_codes.append(QrCode(code.text, Box(min(xs), min(ys), max(xs), max(ys))))
    return ReadPdf(
        pages=len(reader.pages),
        text_pypdf=page.extract_text(),
        text_pdfium=text_pdfium,
        text_glyphs=glyph_text(reader, page),
        fonts=fonts,
        uris=uris,
        char_boxes=char_boxes,
        qr_codes=qr_codes,
        page_height_mm=height_pt / MM,
    )
