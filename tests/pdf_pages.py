"""Print an HTML page to PDF with headless Chromium and check the pages the way a reader
would see them: no heading left alone at the foot of a page, no table split across pages, no
blank page. Pages are read back with PDFium (pypdfium2): the text of each page, in reading
order, and each page rendered to an image (kept as PNG)."""
from __future__ import annotations

import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path


def print_to_pdf(chromium: str, page: Path, pdf: Path, profile: Path) -> None:
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], capture_output=True, timeout=180)


def _squash(text: str) -> str:
    """Text compared without whitespace: the PDF wraps lines where the HTML does not."""
    return re.sub(r"\s+", "", text.replace("&lt;", "<"))


class _Blocks(HTMLParser):
    """Headings with the first text that follows them, and each table's cell texts in order."""

    def __init__(self):
        super().__init__()
        self.headings: list[list[str]] = []
        self.tables: list[list[str]] = []
        self._in: list[str] = []
        self._await_after_heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self._in.append(tag)
        if tag == "table":
            self.tables.append([])
        if tag in ("h2", "h3"):
            self.headings.append([])
            self._await_after_heading = None

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass
        if tag in ("h2", "h3"):
            self._await_after_heading = self.headings[-1]

    def handle_data(self, data):
        text = data.strip()
        if not text or "style" in self._in or "title" in self._in:
            return
        if "h2" in self._in or "h3" in self._in:
            self.headings[-1].append(text)
        elif self._await_after_heading is not None:
            self._await_after_heading.append("\0" + text)  # the first text after the heading
            self._await_after_heading = None
        if "table" in self._in and "svg" not in self._in:
            self.tables[-1].append(text)


def _on_one_page(pages: list[str], parts: list[str]) -> bool:
    for page in pages:
        at = 0
        for part in parts:
            at = page.find(_squash(part), at)
            if at < 0:
                break
            at += len(_squash(part))
        else:
            return True
    return False


def pdf_page_texts(pdf: Path) -> list[str]:
    """The text of each page of a PDF, whitespace collapsed (PDFium, Chromium's PDF engine; the
    one PDF reader the tests use, for the board pack and the KPI return alike)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    return [" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]


def layout_problems(html: str, pdf: Path, keep_pages: Path | None = None) -> list[str]:
    import numpy as np
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    pages = [_squash(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    blocks = _Blocks()
    blocks.feed(html)
    problems = []
    for heading in blocks.headings:
        title = [t for t in heading if not t.startswith("\0")]
        after = [t[1:] for t in heading if t.startswith("\0")]
        if title and after and not _on_one_page(pages, [" ".join(title), after[0]]):
            problems.append(f"heading alone at a page foot: {' '.join(title)!r}")
    for table in blocks.tables:
        if table and not _on_one_page(pages, table):
            problems.append(f"table split across pages: starts {table[:3]!r}")
    for i in range(len(doc)):
        image = doc[i].render(scale=1).to_numpy()
        ink = (image[..., :3] < 200).any(axis=-1).mean()
        if ink < 0.002:
            problems.append(f"page {i + 1} is blank")
        if keep_pages is not None:
            keep_pages.mkdir(parents=True, exist_ok=True)
            write_png(keep_pages / f"page_{i + 1:02d}.png", np.ascontiguousarray(image[..., :3]))
    return problems


def write_png(path: Path, rgb) -> None:
    """An RGB array as a PNG (no imaging library needed)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
