"""A small, fast, deterministic .xlsx writer (stdlib only), enough for the corpus:
shared strings, numbers, booleans, date cells (with a date number format), formulas without a
cached value, merged cells and formatted-but-empty rows. openpyxl reads what it writes."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from xml.sax.saxutils import escape

ZIP_TIME = (2026, 11, 21, 2, 10, 0)
EPOCH = dt.datetime(1899, 12, 30)


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


class Formula(str):
    """A cell formula such as '=HYPERLINK(...)' (written without a cached value)."""


def _x(s: str) -> str:
    # XML 1.0 cannot carry most control characters
    return escape("".join(ch if ch in "\t\n\r" or ord(ch) >= 32 else "?" for ch in s))


def xlsx(sheets, *, merges=None, blank_styled_rows=None, date_format="dd/mm/yyyy") -> bytes:
    """sheets: list of (name, rows) where rows are lists of cell values (the header is just a row).
    Cell values: None, str, int, float, bool, dt.date/dt.datetime, Formula."""
    strings: dict[str, int] = {}

    def sidx(s):
        if s not in strings:
            strings[s] = len(strings)
        return strings[s]

    sheet_xml = []
    for name, rows in sheets:
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>']
        width = max((len(r) for r in rows), default=1)
        for i, row in enumerate(rows, start=1):
            cells = []
            for j, v in enumerate(row, start=1):
                ref = f"{col_letter(j)}{i}"
                if v is None:
                    continue
                if isinstance(v, Formula):
                    cells.append(f'<c r="{ref}"><f>{_x(v.lstrip("="))}</f></c>')
                elif isinstance(v, bool):
                    cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
                elif isinstance(v, (dt.datetime, dt.date)):
                    d = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
                    serial = (d - EPOCH).days + (d - EPOCH).seconds / 86400
                    num = int(serial) if serial == int(serial) else round(serial, 10)
                    cells.append(f'<c r="{ref}" s="1"><v>{num}</v></c>')
                elif isinstance(v, (int, float)):
                    cells.append(f'<c r="{ref}"><v>{v!r}</v></c>')
                else:
                    cells.append(f'<c r="{ref}" t="s"><v>{sidx(str(v))}</v></c>')
            out.append(f'<row r="{i}">{"".join(cells)}</row>')
        n = len(rows)
        for k in range((blank_styled_rows or {}).get(name, 0)):
            r = n + 1 + k
            out.append(f'<row r="{r}">' + "".join(f'<c r="{col_letter(j)}{r}" s="2"/>' for j in range(1, width + 1))
                       + "</row>")
        out.append("</sheetData>")
        m = (merges or {}).get(name)
        if m:
            out.append(f'<mergeCells count="{len(m)}">' + "".join(f'<mergeCell ref="{x}"/>' for x in m) + "</mergeCells>")
        out.append("</worksheet>")
        sheet_xml.append("".join(out))

    n = len(sheets)
    content_types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                     + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
                     + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                     '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                     '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                + "".join(f'<sheet name="{_x(nm)}" sheetId="{i}" r:id="rId{i}"/>' for i, (nm, _) in enumerate(sheets, start=1))
                + "</sheets></workbook>")
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
               + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
               f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
               '</Relationships>')
    styles = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{_x(date_format)}"/></numFmts>'
              '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
              '<border><left/><right/><top/><bottom style="thin"/><diagonal/></border></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
              '<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1"/></cellXfs>'
              '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
              '</styleSheet>')
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f'<si><t xml:space="preserve">{_x(s)}</t></si>' for s in strings) + "</sst>")
    parts = [("[Content_Types].xml", content_types), ("_rels/.rels", rels), ("xl/workbook.xml", workbook),
             ("xl/_rels/workbook.xml.rels", wb_rels), ("xl/styles.xml", styles), ("xl/sharedStrings.xml", sst)]
    parts += [(f"xl/worksheets/sheet{i}.xml", x) for i, x in enumerate(sheet_xml, start=1)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            zi = zipfile.ZipInfo(name, ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            z.writestr(zi, text.encode("utf-8"))
    return buf.getvalue()
