"""Termbase files: TBX-Basic (ISO 30042:2019) and CSV, read and written.

**TBX-Basic**, DCA style, as the 2019 standard writes it::

    <tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
      <tbxHeader><fileDesc><sourceDesc><p>...</p></sourceDesc></fileDesc></tbxHeader>
      <text><body>
        <conceptEntry id="per.sun-yeli">
          <descrip type="subjectField">person</descrip>
          <note>hoasen-type: PER</note>
          <langSec xml:lang="en">
            <termSec>
              <term>Sun Yeli</term>
              <termNote type="partOfSpeech">properNoun</termNote>
              <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote>
            </termSec>
            ...

Statuses: preferred <-> preferredTerm-admn-sts, admitted <-> admittedTerm-admn-sts, forbidden
-> deprecatedTerm-admn-sts. On reading, supersededTerm-admn-sts is forbidden too (a term no
longer to be used is, for the desk, one never to write), and a term without a status is
admitted. The concept's type (PER/LOC/ORG/TERM), which TBX-Basic has no data category for,
travels as a concept note "hoasen-type: ..."; other tools show it as a plain note. Older
TBX-Basic files (TBX 2008: martif/termEntry/langSet/tig) are read too.

**CSV**: one term a row, columns concept_id, type, lang, term, status, note, subject (subject
optional). A row with an empty lang and term carries the concept's own note.

Reading is all or nothing: every problem is collected with its line ("line 12: ..."; for XML
the line of the element at fault) and the file is refused whole. XML is parsed without
entity expansion, DTD loading or network access; a document declaring entities is refused.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from lxml import etree

from hoasen.errors import UsageError
from hoasen.store.termbase import (
    CONCEPT_TYPES,
    check_concept_id,
    check_text,
)
from hoasen.translate.concepts import Concept, ConceptTerm, canonical_lang, sort_terms
from hoasen.translate.types import TERM_STATUSES

TBX_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CSV_COLUMNS = ("concept_id", "type", "lang", "term", "status", "note", "subject")
_REQUIRED_CSV = ("concept_id", "lang", "term")
STATUS_TO_TBX = {
    "preferred": "preferredTerm-admn-sts",
    "admitted": "admittedTerm-admn-sts",
    "forbidden": "deprecatedTerm-admn-sts",
}
TBX_TO_STATUS = {
    "preferredterm-admn-sts": "preferred",
    "admittedterm-admn-sts": "admitted",
    "deprecatedterm-admn-sts": "forbidden",
    "supersededterm-admn-sts": "forbidden",
    # TBX 2008's normativeAuthorization values
    "standardizedterm": "preferred",
    "preferredterm": "preferred",
    "admittedterm": "admitted",
    "deprecatedterm": "forbidden",
    "supersededterm": "forbidden",
    "legalterm": "admitted",
    "regulatedterm": "admitted",
}
_TYPE_NOTE = re.compile(r"^\s*hoasen-type:\s*(\w+)\s*$", re.IGNORECASE)
_MAX_ERRORS = 20


@dataclass
class ParsedConcept:
    """A concept as a file gives it: its terms, and its type when the file says it."""

    id: str
    type: str | None
    line: int
    subject: str = ""
    note: str = ""
    terms: list[ConceptTerm] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # each term's line

    def concept(self, default_type: str = "TERM") -> Concept:
        return Concept(
            id=self.id,
            type=self.type or default_type,
            terms=sort_terms(self.terms),
            subject=self.subject,
            note=self.note,
        )


class _Errors:
    """Problems found in one file, each with its line."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[str] = []

    def add(self, line: int | None, problem: str) -> None:
        where = f"line {line}" if line else "somewhere"
        self.items.append(f"{self.label}: {where}: {problem}")

    def fail(self, line: int | None, problem: str) -> NoReturn:
        self.add(line, problem)
        self.raise_if_any()
        raise AssertionError("unreachable")

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:_MAX_ERRORS]
            more = len(self.items) - len(shown)
            tail = f"\n... and {more} more" if more else ""
            raise UsageError("Refused (nothing imported):\n" + "\n".join(shown) + tail)


def detect_format(data: bytes, name: str = "") -> str:
    """'tbx' or 'csv', by file name, else by content."""
    lower = name.lower()
    if lower.endswith((".tbx", ".xml")):
        return "tbx"
    if lower.endswith((".csv", ".txt")):
        return "csv"
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "tbx" if head.startswith(b"<") else "csv"


# ---------------------------------------------------------------------------------- CSV


def read_csv(data: bytes | str, label: str = "termbase.csv") -> list[ParsedConcept]:
    """The concepts of a CSV termbase file; UsageError listing every bad line."""
    errors = _Errors(label)
    text = _decode(data, label) if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED_CSV if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing column(s) " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s) " + ", ".join(unknown))
        errors.fail(1, "; ".join(problems) + f" (columns: {', '.join(CSV_COLUMNS)})")
    reader.fieldnames = header
    concepts: dict[str, ParsedConcept] = {}
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                errors.add(line, "more values than columns")
                continue
            cells = {k: (v or "").strip() for k, v in row.items()}
            if not any(cells.values()):
                continue
            _csv_row(cells, line, concepts, errors)
    except csv.Error as exc:
        errors.add(reader.line_num, f"unreadable CSV ({exc})")
    for concept in concepts.values():
        _check_concept(concept, errors)
    errors.raise_if_any()
    return list(concepts.values())


def _csv_row(
    cells: dict[str, str], line: int, concepts: dict[str, ParsedConcept], errors: _Errors
) -> None:
    concept_id = cells.get("concept_id", "")
    try:
        check_concept_id(concept_id)
    except UsageError as exc:
        errors.add(line, str(exc))
        return
    kind = cells.get("type", "").upper() or None
    if kind is not None and kind not in CONCEPT_TYPES:
        errors.add(line, f"type {cells['type']!r} is not one of {', '.join(CONCEPT_TYPES)}")
        return
    concept = concepts.get(concept_id)
    if concept is None:
        concept = concepts[concept_id] = ParsedConcept(concept_id, kind, line)
    elif kind is not None and concept.type not in (None, kind):
        errors.add(line, f"{concept_id} is {concept.type} on line {concept.line}, {kind} here")
        return
    concept.type = concept.type or kind
    if cells.get("subject"):
        concept.subject = cells["subject"]
    if not cells.get("lang") and not cells.get("term"):
        concept.note = cells.get("note", "")  # the concept's own row
        return
    term = _term(
        cells.get("lang", ""),
        cells.get("term", ""),
        cells.get("status", ""),
        cells.get("note", ""),
        line,
        errors,
    )
    if term is not None:
        concept.terms.append(term)
        concept.lines.append(line)


def write_csv(concepts: Iterable[Concept]) -> bytes:
    """CSV bytes (UTF-8, no BOM) of the concepts: one term a row, a concept-note row first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for concept in concepts:
        if concept.note:
            writer.writerow([concept.id, concept.type, "", "", "", concept.note, concept.subject])
        for term in concept.terms:
            writer.writerow(
                [
                    concept.id,
                    concept.type,
                    term.lang,
                    term.text,
                    term.status,
                    term.note,
                    concept.subject,
                ]
            )
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------- TBX


def _parser() -> etree.XMLParser:
    """An XML parser that expands no entity, loads no DTD and reaches no network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_tbx(data: bytes, label: str = "termbase.tbx") -> list[ParsedConcept]:
    """The concepts of a TBX-Basic file (TBX 2019 or 2008); UsageError listing every problem
    with the line of the element at fault."""
    errors = _Errors(label)
    if re.search(rb"<!ENTITY", data[:65536], re.IGNORECASE):
        errors.fail(
            _line_of(data, b"<!ENTITY"), "entity declarations are refused (XML entity expansion)"
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        errors.fail(exc.lineno or None, f"not well-formed XML ({exc.msg})")
    tree = root.getroottree()
    dtd = tree.docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        errors.fail(1, "entity declarations are refused (XML entity expansion)")
    name = etree.QName(root).localname
    term_tags: tuple[str, ...]
    if name == "tbx":
        entries, lang_tag, term_tags = "conceptEntry", "langSec", ("termSec",)
        if etree.QName(root).namespace not in (TBX_NS, None):
            errors.add(
                root.sourceline, f"<tbx> in namespace {etree.QName(root).namespace!r}, not {TBX_NS}"
            )
    elif name == "martif":
        entries, lang_tag, term_tags = "termEntry", "langSet", ("tig", "ntig")
    else:
        errors.fail(root.sourceline, f"<{name}> is not a TBX document (expected <tbx> or <martif>)")
    body = _child_path(root, ("text", "body"))
    if body is None:
        errors.fail(root.sourceline, "no <text><body> in the document")
    concepts: dict[str, ParsedConcept] = {}
    generated = 0
    for element in body:
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname != entries:
            errors.add(
                element.sourceline, f"unexpected <{etree.QName(element).localname}> in <body>"
            )
            continue
        concept_id = element.get("id") or ""
        if not concept_id:
            generated += 1
            concept_id = f"term.entry-{generated}"
        try:
            check_concept_id(concept_id)
        except UsageError as exc:
            errors.add(element.sourceline, str(exc))
            continue
        if concept_id in concepts:
            errors.add(element.sourceline, f"concept {concept_id} is listed twice")
            continue
        concept = ParsedConcept(concept_id, None, element.sourceline or 0)
        _tbx_concept(element, concept, lang_tag, term_tags, errors)
        concepts[concept_id] = concept
    for concept in concepts.values():
        _check_concept(concept, errors)
    errors.raise_if_any()
    return list(concepts.values())


def _tbx_concept(
    element: etree._Element,
    concept: ParsedConcept,
    lang_tag: str,
    term_tags: Sequence[str],
    errors: _Errors,
) -> None:
    notes: list[str] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "descrip" and child.get("type") == "subjectField":
            concept.subject = _text(child)
        elif local == "descripGrp":
            descrip = _child_path(child, ("descrip",))
            if descrip is not None and descrip.get("type") == "subjectField":
                concept.subject = _text(descrip)
        elif local == "note":
            match = _TYPE_NOTE.match(_text(child))
            if match:
                kind = match.group(1).upper()
                if kind in CONCEPT_TYPES:
                    concept.type = kind
                else:
                    errors.add(
                        child.sourceline, f"type {kind!r} is not one of {', '.join(CONCEPT_TYPES)}"
                    )
            elif _text(child):
                notes.append(_text(child))
        elif local == lang_tag:
            _tbx_lang(child, concept, term_tags, errors)
    concept.note = "\n".join(notes)
    if not concept.terms:
        errors.add(element.sourceline, f"concept {concept.id} has no term")


def _tbx_lang(
    element: etree._Element, concept: ParsedConcept, term_tags: Sequence[str], errors: _Errors
) -> None:
    lang = element.get(XML_LANG) or element.get("lang") or ""
    if not lang:
        errors.add(element.sourceline, f"<{etree.QName(element).localname}> without xml:lang")
        return
    for holder in element:
        if not isinstance(holder.tag, str) or etree.QName(holder).localname not in term_tags:
            continue
        text, status, notes = "", "", []
        term_line = holder.sourceline
        for part in _term_parts(holder):
            local = etree.QName(part).localname
            if local == "term":
                text, term_line = _text(part), part.sourceline
            elif local == "termNote" and part.get("type") in (
                "administrativeStatus",
                "normativeAuthorization",
            ):
                value = _text(part)
                status = TBX_TO_STATUS.get(value.lower(), "")
                if not status:
                    errors.add(part.sourceline, f"unknown administrativeStatus {value!r}")
                    status = "?"
            elif local == "note" and _text(part):
                notes.append(_text(part))
        if status == "?":
            continue
        term = _term(lang, text, status or "admitted", "\n".join(notes), term_line, errors)
        if term is not None:
            concept.terms.append(term)
            concept.lines.append(term_line or 0)


def _term_parts(holder: etree._Element) -> list[etree._Element]:
    """The term and its notes, also inside termGrp (TBX 2008 ntig) and termNoteGrp."""
    out: list[etree._Element] = []
    for child in holder:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local in ("termGrp", "termNoteGrp", "adminGrp"):
            out += _term_parts(child)
        else:
            out.append(child)
    return out


def write_tbx(concepts: Iterable[Concept], source: str = "hoasen termbase") -> bytes:
    """TBX-Basic (ISO 30042:2019, DCA) bytes of the concepts."""
    nsmap = {None: TBX_NS}
    root = etree.Element(f"{{{TBX_NS}}}tbx", nsmap=nsmap)
    root.set("type", "TBX-Basic")
    root.set("style", "dca")
    root.set(XML_LANG, "en")
    header = etree.SubElement(root, f"{{{TBX_NS}}}tbxHeader")
    desc = etree.SubElement(
        etree.SubElement(header, f"{{{TBX_NS}}}fileDesc"), f"{{{TBX_NS}}}sourceDesc"
    )
    etree.SubElement(desc, f"{{{TBX_NS}}}p").text = source
    body = etree.SubElement(etree.SubElement(root, f"{{{TBX_NS}}}text"), f"{{{TBX_NS}}}body")
    for concept in concepts:
        entry = etree.SubElement(body, f"{{{TBX_NS}}}conceptEntry", id=concept.id)
        if concept.subject:
            descrip = etree.SubElement(entry, f"{{{TBX_NS}}}descrip", type="subjectField")
            descrip.text = concept.subject
        etree.SubElement(entry, f"{{{TBX_NS}}}note").text = f"hoasen-type: {concept.type}"
        if concept.note:
            etree.SubElement(entry, f"{{{TBX_NS}}}note").text = concept.note
        pos = "noun" if concept.type == "TERM" else "properNoun"
        for lang in concept.langs():
            lang_sec = etree.SubElement(entry, f"{{{TBX_NS}}}langSec")
            lang_sec.set(XML_LANG, lang)
            for term in concept.in_lang(lang):
                term_sec = etree.SubElement(lang_sec, f"{{{TBX_NS}}}termSec")
                etree.SubElement(term_sec, f"{{{TBX_NS}}}term").text = term.text
                etree.SubElement(term_sec, f"{{{TBX_NS}}}termNote", type="partOfSpeech").text = pos
                status = etree.SubElement(
                    term_sec, f"{{{TBX_NS}}}termNote", type="administrativeStatus"
                )
                status.text = STATUS_TO_TBX[term.status]
                if term.note:
                    etree.SubElement(term_sec, f"{{{TBX_NS}}}note").text = term.note
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---------------------------------------------------------------------------------- shared


def _term(
    lang: str, text: str, status: str, note: str, line: int | None, errors: _Errors
) -> ConceptTerm | None:
    try:
        tag = canonical_lang(lang)
        clean = check_text(unicodedata.normalize("NFC", text))
    except UsageError as exc:
        errors.add(line, str(exc))
        return None
    status = (status or "admitted").strip().lower()
    if status not in TERM_STATUSES:
        errors.add(line, f"status {status!r} is not one of {', '.join(TERM_STATUSES)}")
        return None
    return ConceptTerm(tag, clean, status, note=note.strip(), origin="import")


def _check_concept(concept: ParsedConcept, errors: _Errors) -> None:
    """One preferred term per language, no term twice."""
    seen: dict[tuple[str, str], int] = {}
    preferred: dict[str, int] = {}
    for term, line in zip(concept.terms, concept.lines, strict=True):
        key = (term.lang, term.text)
        if key in seen:
            errors.add(
                line,
                f"{concept.id}: the {term.lang} term {term.text!r} is already on line {seen[key]}",
            )
            continue
        seen[key] = line
        if term.status == "preferred":
            if term.lang in preferred:
                errors.add(
                    line,
                    f"{concept.id}: a second preferred {term.lang} term "
                    f"(the first is on line {preferred[term.lang]})",
                )
            preferred[term.lang] = line


def _text(element: etree._Element) -> str:
    """An element's whole text content (entity references refused at parse time), stripped."""
    return "".join(element.itertext()).strip()


def _child_path(element: etree._Element, names: Sequence[str]) -> etree._Element | None:
    node: etree._Element | None = element
    for name in names:
        if node is None:
            return None
        node = next(
            (c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == name),
            None,
        )
    return node


def _line_of(data: bytes, needle: bytes) -> int:
    at = data.lower().find(needle.lower())
    return data.count(b"\n", 0, at) + 1 if at >= 0 else 1


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(
            f"Refused (nothing imported):\n{label}: line {line}: not UTF-8 text "
            f"(byte {exc.start}); save the file as UTF-8"
        ) from None


__all__ = [
    "CSV_COLUMNS",
    "STATUS_TO_TBX",
    "TBX_NS",
    "ParsedConcept",
    "detect_format",
    "read_csv",
    "read_tbx",
    "write_csv",
    "write_tbx",
]
