"""Render docxtpl templates safely and fast.

**Safe.** Templates run in Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment` with autoescaping,
so text from the workbook (``&``, ``<b>``, quotes, ``{{ }}``, any script) prints as text and the
document stays valid XML; characters XML cannot hold are dropped. Before any letter is written,
every field a template names is checked against the documented context
(:mod:`arsheets.letters.fields`) by walking the Jinja syntax tree, so ``customer.nmae`` is reported
with the paragraph it is in and a suggestion, instead of printing a blank.

**Fast.** docxtpl stays the template language: its preprocessor (``patch_xml``) turns the Word XML
into a Jinja template exactly as ``DocxTemplate.render`` would. But that is done once per template:
the XML is compiled once, and each letter only renders the compiled template and writes a new zip
in which every member that holds no template tags is copied from the original unchanged. Batches
are spread over a process pool.

Templates are looked up in the Settings' Templates Folder first, then among the bundled ones.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import importlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from arsheets.letters import fields as F
from arsheets.letters.errors import LetterError, TemplateFieldError, problem_at
from arsheets.model import Settings

_DC = "http://purl.org/dc/elements/1.1/"
_CORE_TAGS = {  # docxtpl's rendered core properties, by XML element
    "title": f"{{{_DC}}}title", "subject": f"{{{_DC}}}subject", "creator": f"{{{_DC}}}creator",
    "description": f"{{{_DC}}}description", "identifier": f"{{{_DC}}}identifier",
    "language": f"{{{_DC}}}language",
}
_XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_TAG = re.compile(r"\{[{%#]")
_NS = {"wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"}
# Strict (a rendering that is not well-formed is an error, not silently "recovered"), and no
# entities or network access for XML that comes from a bookkeeper's own template.
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

# --- the Jinja environments -------------------------------------------------------------------

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _finalize_xml(value: object) -> object:
    """Every ``{{ value }}`` goes through here before it is escaped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _BAD_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def _finalize_line(value: object) -> object:
    value = _finalize_xml(value)
    return " ".join(value.split()) if isinstance(value, str) else value


def make_environment(*, text: bool = False) -> SandboxedEnvironment:
    """The sandbox letters render in: autoescaped XML, or (``text``) one line of plain text."""
    return SandboxedEnvironment(
        autoescape=not text,
        finalize=_finalize_line if text else _finalize_xml,
        undefined=StrictUndefined,
    )


_XML_ENV = make_environment()
_TEXT_ENV = make_environment(text=True)

# --- finding templates ------------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,100}$")


def bundled_templates_dir() -> Path:
    """The folder of the templates shipped with arsheets.

    Installed from a wheel they are the data package ``arsheets.letter_templates`` (pyproject maps
    the repository's ``letter_templates/`` there); in a source checkout or an editable install they
    are ``letter_templates/`` beside the ``arsheets`` package.
    """
    try:  # a data-only (namespace) package: its __path__ lists the folder
        package = importlib.import_module("arsheets.letter_templates")
    except ImportError:
        package = None
    for location in getattr(package, "__path__", ()):
        path = Path(location)
        if path.is_dir() and any(path.glob("*.docx")):
            return path
    return Path(__file__).resolve().parents[2] / "letter_templates"


def _check_name(name: str) -> str:
    stem = name[:-5] if name.lower().endswith(".docx") else name
    if not _NAME.match(stem) or ".." in stem:
        raise LetterError(problem_at(
            "Ladder", f"template name {name!r} is not a plain template name",
            "use a name like first_reminder: letters, digits, _ and -, no folders"))
    return stem


def find_template(name: str, settings: Settings | None = None,
                  base_dir: str | os.PathLike | None = None) -> Path:
    """The ``.docx`` for a template name: the Templates Folder's own, else the bundled one.

    A relative Templates Folder is taken relative to ``base_dir`` (the workbook's folder).
    """
    stem = _check_name(name)
    folder_setting = (settings.templates_folder or "").strip() if settings else ""
    if folder_setting:
        folder = Path(folder_setting).expanduser()
        if not folder.is_absolute():
            folder = Path(base_dir or ".") / folder
        if not folder.is_dir():
            raise LetterError(problem_at(
                "Settings", f"Templates Folder {str(folder)!r} does not exist",
                "create it, correct the Templates Folder setting, or leave it blank to use the "
                "bundled templates"))
        own = folder / f"{stem}.docx"
        if own.is_file():
            return own
    bundled = bundled_templates_dir() / f"{stem}.docx"
    if bundled.is_file():
        return bundled
    known = sorted(p.stem for p in bundled_templates_dir().glob("*.docx"))
    where = f" in {folder_setting!r} or" if folder_setting else ""
    raise LetterError(problem_at(
        "Ladder", f"there is no template {stem!r}{where} among the bundled templates",
        "bundled templates: " + ", ".join(known)))


# --- checking fields --------------------------------------------------------------------------

_ANY = F.Field("*", "any", "")
_LOOP = F.Field("loop", "loop", "")


@dataclass
class _Finding:
    path: str
    message: str
    lineno: int


class _Checker:
    """Walks a Jinja syntax tree and reports names and attributes the context does not have."""

    def __init__(self) -> None:
        self.findings: list[_Finding] = []

    def report(self, node: nodes.Node, path: str, message: str) -> None:
        self.findings.append(_Finding(path, message, getattr(node, "lineno", 0) or 0))

    # statements
    def block(self, body: Iterable[nodes.Node], scope: dict[str, F.Field]) -> None:
        for node in body:
            self.stmt(node, scope)

    def stmt(self, node: nodes.Node, scope: dict[str, F.Field]) -> None:
        if isinstance(node, nodes.For):
            item = self.expr(node.iter, scope)
            inner = dict(scope)
            self.bind(node.target, self.item_of(item), inner)
            inner["loop"] = _LOOP
            if node.test is not None:
                self.expr(node.test, inner)
            self.block(node.body, inner)
            self.block(node.else_, scope)
        elif isinstance(node, nodes.Assign):
            self.expr(node.node, scope)
            self.bind(node.target, _ANY, scope)
        elif isinstance(node, nodes.AssignBlock):
            self.block(node.body, scope)
            self.bind(node.target, _ANY, scope)
        elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
            inner = dict(scope)
            for arg in node.args:
                self.bind(arg, _ANY, inner)
            for default in node.defaults:
                self.expr(default, scope)
            for name in ("varargs", "kwargs", "caller"):
                inner[name] = _ANY
            if isinstance(node, nodes.Macro):
                scope[node.name] = _ANY
            else:
                self.expr(node.call, scope)
            self.block(node.body, inner)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=False):
                self.expr(value, scope)
                self.bind(target, _ANY, inner)
            self.block(node.body, inner)
        elif isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            kind = type(node).__name__.lower().replace("fromimport", "import")
            self.report(node, kind, f"{{% {kind} %}} is not available in letter templates; "
                        "each template is a single Word document")
        elif isinstance(node, nodes.Expr) and not isinstance(node, nodes.Stmt):
            self.expr(node, scope)
        else:
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Expr):
                    self.expr(child, scope)
                else:
                    self.stmt(child, scope)

    def bind(self, target: nodes.Node, schema: F.Field, scope: dict[str, F.Field]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = schema
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self.bind(item, _ANY, scope)
        elif isinstance(target, nodes.NSRef):
            pass

    @staticmethod
    def item_of(schema: F.Field | None) -> F.Field:
        if schema is None or schema is _ANY:
            return _ANY
        if schema.kind == F.LIST:
            return F.Field(schema.name, F.OBJECT, schema.doc, "", schema.fields)
        if schema.kind == F.LINES:
            return F.Field(schema.name, F.TEXT, schema.doc)
        return _ANY

    # expressions: return the schema of the value, _ANY when unknown, None after a report
    def expr(self, node: nodes.Node, scope: dict[str, F.Field]) -> F.Field | None:
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            top = F.ROOT.child(node.name)
            if top is not None:
                return top
            if node.name in F.JINJA_GLOBALS:
                return _ANY
            self.report(node, node.name, self.unknown(node.name, F.ROOT, ""))
            return None
        if isinstance(node, nodes.Getattr):
            return self.member(node, node.node, node.attr, scope)
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                return self.member(node, node.node, node.arg.value, scope)
            base = self.expr(node.node, scope)
            self.expr(node.arg, scope)
            return self.item_of(base)
        if isinstance(node, nodes.Filter):
            base = self.expr(node.node, scope) if node.node is not None else _ANY
            self.args(node, scope)
            if node.name in ("first", "last", "random"):
                return self.item_of(base)
            if node.name in ("sort", "reverse", "unique", "list", "default", "d", "selectattr",
                             "rejectattr", "batch", "slice"):
                return base if node.name not in ("batch", "slice") else _ANY
            return _ANY
        if isinstance(node, (nodes.Test, nodes.Call)):
            self.expr(node.node, scope)
            self.args(node, scope)
            return _ANY
        for child in node.iter_child_nodes():
            self.expr(child, scope)
        return _ANY

    def args(self, node, scope) -> None:
        for arg in node.args:
            self.expr(arg, scope)
        for kw in node.kwargs:
            self.expr(kw.value, scope)
        if node.dyn_args is not None:
            self.expr(node.dyn_args, scope)
        if node.dyn_kwargs is not None:
            self.expr(node.dyn_kwargs, scope)

    def member(self, node, base_node, attr: str, scope) -> F.Field | None:
        base = self.expr(base_node, scope)
        if base is None or base is _ANY:
            return base
        path = self.path_of(base_node)
        if base is _LOOP:
            if attr in F.LOOP_ATTRIBUTES:
                return _ANY
            self.report(node, f"{path}.{attr}",
                        f"'loop' has no {attr!r}; use one of "
                        + ", ".join(sorted(F.LOOP_ATTRIBUTES)))
            return None
        if base.kind == F.OBJECT:
            child = base.child(attr)
            if child is not None:
                return child
            self.report(node, f"{path}.{attr}", self.unknown(attr, base, path))
            return None
        if base.kind in F.SCALARS and not attr.startswith("_") and hasattr(str, attr):
            return _ANY  # a string method: customer.name.upper()
        what = "a list; loop over it with {%tr for x in " + path + " %}" if base.kind in (
            F.LIST, F.LINES) else f"a {base.kind}"
        self.report(node, f"{path}.{attr}", f"'{path}' is {what}, it has no field {attr!r}")
        return None

    @staticmethod
    def path_of(node: nodes.Node) -> str:
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Getattr):
            return f"{_Checker.path_of(node.node)}.{node.attr}"
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            return f"{_Checker.path_of(node.node)}.{node.arg.value}"
        return "(value)"

    @staticmethod
    def unknown(name: str, parent: F.Field, path: str) -> str:
        known = [f.name for f in parent.fields]
        full = f"{path}.{name}" if path else name
        text = f"unknown field {full!r}"
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if near:
            text += f" (did you mean {(path + '.' if path else '') + near[0]!r}?)"
        elif path:
            text += f"; {path} has: " + ", ".join(known)
        return text


def _line_text(source: str, lineno: int) -> str:
    """The words of the paragraph a problem is in (sources have one paragraph per line)."""
    lines = source.splitlines()
    if not 1 <= lineno <= len(lines):
        return ""
    text = re.sub(r"<[^>]+>", "", lines[lineno - 1])
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."


def check_source(source: str, where: str, *, text: bool = False) -> list:
    """Problems in one template source: syntax errors and unknown fields, as Problems."""
    env = _TEXT_ENV if text else _XML_ENV
    problems = []
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        snippet = _line_text(source, exc.lineno or 0)
        return [problem_at(where, f"template syntax error: {exc.message}"
                           + (f" in {snippet!r}" if snippet else ""),
                           "check the {{ }} and {% %} tags around it")]
    checker = _Checker()
    checker.block(tree.body, {})
    seen = set()
    for finding in checker.findings:
        snippet = _line_text(source, finding.lineno)
        key = (finding.path, snippet)
        if key in seen:
            continue
        seen.add(key)
        problems.append(problem_at(
            where, finding.message + (f" in {snippet!r}" if snippet else ""),
            "fields are listed in the README under 'Fields available in letter templates'"))
    return problems


# --- compiled templates -----------------------------------------------------------------------


def _has_tags(text: str) -> bool:
    return bool(_TAG.search(text))


@dataclass
class _XmlPart:
    member: str
    source: str
    body: bool  # the document body (prefix/suffix around it) or a whole part (header, footer...)
    prefix: bytes = b""
    suffix: bytes = b""
    fix_tables: bool = False
    template: object = None


@dataclass
class CompiledTemplate:
    """A docxtpl template preprocessed and compiled once, rendered many times."""

    name: str
    path: Path
    members: list[zipfile.ZipInfo]
    static: dict[str, bytes]
    base: bytes  # a zip of every member that holds no tags, compressed once
    parts: list[_XmlPart]
    core_member: str | None  # docProps/core.xml when some property holds tags
    core_texts: dict[str, object] = field(default_factory=dict)  # property -> compiled template
    subject: str = ""  # the Subject property when it holds no tags
    # (where, source, plain text?) of every templated part, for checking
    sources: list[tuple[str, str, bool]] = field(default_factory=list)
    checked: bool = False  # problems() found nothing

    def problems(self) -> list:
        """Unknown fields and syntax errors in every templated part, as Problems."""
        found = []
        for where, source, text in self.sources:
            found += check_source(source, where, text=text)
        return found

    def render(self, context: Mapping[str, object]) -> tuple[bytes, str]:
        """The finished .docx as bytes, and the rendered Subject property."""
        rendered: dict[str, bytes] = {}
        try:
            for part in self.parts:
                rendered[part.member] = self._render_part(part, context)
            subject = self.subject
            if self.core_member:
                core, subject = self._render_core(context)
                rendered[self.core_member] = core
        except (UndefinedError, SecurityError) as exc:
            raise LetterError(problem_at(str(self.path), f"template could not be rendered: {exc}",
                                         "check the template against the field list")) from None
        except TemplateError as exc:
            raise LetterError(problem_at(str(self.path),
                                         f"template could not be rendered: {exc}")) from None
        # The unchanged members are copied as they are (already compressed, in the base zip);
        # only the rendered ones are compressed and appended.
        buf = io.BytesIO(self.base)
        buf.seek(0)
        with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as out:
            for info in self.members:
                data = rendered.get(info.filename)
                if data is not None:
                    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    zi.external_attr = info.external_attr
                    out.writestr(zi, data)
        return buf.getvalue(), subject

    def _render_part(self, part: _XmlPart, context) -> bytes:
        xml = part.template.render(context)
        # docxtpl's render_xml_part, after rendering
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = (xml.replace("{_{", "{{").replace("}_}", "}}")
               .replace("{_%", "{%").replace("%_}", "%}"))
        if "\n" in xml or "\t" in xml:
            xml = _resolve_listing(xml)
        if part.fix_tables:
            tree = DocxTemplate.fix_tables(None, xml)
        else:
            try:
                tree = etree.fromstring(xml.encode("utf-8"), _STRICT)
            except etree.XMLSyntaxError as exc:
                raise LetterError(problem_at(
                    f"{self.path} ({part.member})",
                    f"the rendered letter is not valid Word XML: {exc}",
                    "a {% %} tag probably splits a paragraph or table row in two; use the "
                    "{%p %} or {%tr %} forms")) from None
        if part.body:
            for n, elt in enumerate(tree.xpath("//wp:docPr", namespaces=_NS), start=1001):
                elt.attrib["id"] = str(n)
            return part.prefix + etree.tostring(tree, encoding="UTF-8",
                                                xml_declaration=False) + part.suffix
        return _XML_DECL + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)

    def _render_core(self, context) -> tuple[bytes, str]:
        root = etree.fromstring(self.static[self.core_member], _STRICT)
        subject = self.subject
        for prop, tmpl in self.core_texts.items():
            el = root.find(_CORE_TAGS[prop])
            value = tmpl.render(context)
            el.text = value
            if prop == "subject":
                subject = value
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True,
                              standalone=True), subject

    def render_to(self, context: Mapping[str, object], path: str | os.PathLike) -> str:
        """Render and write atomically (a temporary file beside ``path``, then a rename)."""
        data, subject = self.render(context)
        _write_atomic(Path(path), data)
        return subject


_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)


def _resolve_listing(xml: str) -> str:
    """docxtpl's ``resolve_listing`` (line breaks and tabs in values become Word breaks and tabs),
    applied only to the paragraphs that have any: the same result, without scanning every run."""

    def one(m: re.Match) -> str:
        text = m.group(0)
        if "\n" in text or "\t" in text:
            return DocxTemplate.resolve_listing(None, text)
        return text

    return _PARAGRAPH.sub(one, xml)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _body_frame(document_xml: bytes) -> tuple[bytes, bytes]:
    """The bytes of word/document.xml before and after its <w:body> element."""
    root = etree.fromstring(document_xml, _STRICT)
    frame = copy.deepcopy(root)
    body = frame.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}body")
    marker = etree.Element("ARSHEETS-BODY")
    frame.replace(body, marker)
    text = etree.tostring(frame, encoding="UTF-8", xml_declaration=True, standalone=True)
    prefix, suffix = text.split(b"<ARSHEETS-BODY/>")
    return prefix, suffix


def compile_template(path: str | os.PathLike, name: str | None = None,
                     *, check: bool = True) -> CompiledTemplate:
    """Preprocess a docxtpl template with docxtpl and compile it once.

    With ``check`` (the default), unknown fields and syntax errors raise
    :class:`TemplateFieldError` listing every problem found.
    """
    path = Path(path)
    name = name or path.stem
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            static = {info.filename: zf.read(info.filename) for info in members}
        tpl = DocxTemplate(str(path))
        tpl.init_docx()
    except Exception as exc:  # noqa: BLE001 - zipfile, python-docx and lxml each raise their own
        raise LetterError(problem_at(str(path), f"is not a Word document that can be opened "
                                     f"({type(exc).__name__}: {exc})",
                                     "save it from Word as a .docx file")) from None

    sources: list[tuple[str, str, bool]] = []
    parts: list[_XmlPart] = []
    doc_part = tpl.docx.part
    doc_member = str(doc_part.partname).lstrip("/")
    raw_body = tpl.get_xml()
    body_src = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(raw_body))
    prefix, suffix = _body_frame(static[doc_member])
    fix = bool(re.search(r"\{%-?\s*tc\s|\{%-?\s*hm\s*-?%\}|colspan", raw_body))
    parts.append(_XmlPart(doc_member, body_src, True, prefix, suffix, fix))
    sources.append((str(path), body_src, False))

    for rel in doc_part.rels.values():
        if rel.is_external or rel.reltype not in (DocxTemplate.HEADER_URI,
                                                  DocxTemplate.FOOTER_URI):
            continue
        member = str(rel.target_part.partname).lstrip("/")
        xml = tpl.get_part_xml(rel.target_part)
        if _has_tags(xml):
            src = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(xml))
            parts.append(_XmlPart(member, src, False))
            sources.append((f"{path} ({Path(member).stem})", src, False))
    for part in doc_part.package.parts:
        if part.content_type.endswith("wordprocessingml.footnotes+xml"):
            member = str(part.partname).lstrip("/")
            xml = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
            if _has_tags(xml):
                src = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(xml))
                parts.append(_XmlPart(member, src, False))
                sources.append((f"{path} (footnotes)", src, False))

    core_member = None
    core_texts: dict[str, object] = {}
    core_sources: dict[str, str] = {}
    subject = ""
    if "docProps/core.xml" in static:
        root = etree.fromstring(static["docProps/core.xml"], _STRICT)
        for prop, tag in _CORE_TAGS.items():
            el = root.find(tag)
            if el is not None and el.text and _has_tags(el.text):
                core_sources[prop] = el.text
                sources.append((f"{path} ({prop} property)", el.text, True))
            elif prop == "subject" and el is not None and el.text:
                subject = _finalize_line(el.text)
        if core_sources:
            core_member = "docProps/core.xml"

    rendered = {part.member for part in parts} | ({core_member} if core_member else set())
    base = io.BytesIO()
    with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in members:
            if info.filename not in rendered:
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                zf.writestr(zi, static[info.filename])
    compiled = CompiledTemplate(name, path, members, static, base.getvalue(), parts, core_member,
                                {}, subject, sources)
    if check:
        _raise_problems(compiled)
    try:
        for part in parts:
            part.template = _XML_ENV.from_string(part.source)
        for prop, src in core_sources.items():
            core_texts[prop] = _TEXT_ENV.from_string(src)
    except TemplateSyntaxError as exc:
        raise TemplateFieldError(problem_at(str(path), f"template syntax error: {exc.message}"))
    compiled.core_texts = core_texts
    return compiled


def _raise_problems(compiled: CompiledTemplate) -> None:
    problems = compiled.problems()
    if problems:
        raise TemplateFieldError(*problems)
    compiled.checked = True


def check_template(path: str | os.PathLike) -> list:
    """Every problem in a template (unknown fields, syntax errors); empty when it is fine."""
    try:
        return compile_template(path, check=False).problems()
    except LetterError as exc:
        return list(exc.problems)


# Compiled templates per process, keyed by file identity so an edited template is recompiled.
_CACHE: dict[tuple[str, int, int], CompiledTemplate] = {}


def load_template(path: str | os.PathLike, *, check: bool = True) -> CompiledTemplate:
    """``compile_template`` with a per-process cache."""
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_mtime_ns, st.st_size)
    compiled = _CACHE.get(key)
    if compiled is None:
        compiled = compile_template(p, check=check)
        _CACHE[key] = compiled
    elif check and not compiled.checked:
        _raise_problems(compiled)
    return compiled


# --- batches ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One letter: which template file, with which context, to which .docx.

    ``reserved``: ``output`` is an empty file this run created exclusively for the letter (see
    ``output.reserve_paths``); it is written in place, else through a temporary file and a rename.
    """

    template: Path
    context: Mapping[str, object]
    output: Path
    reserved: bool = False


@dataclass(frozen=True, slots=True)
class Rendered:
    output: Path
    subject: str


def _render_one(job: RenderJob) -> Rendered:
    try:
        return _render_one_unnamed(job)
    except LetterError as exc:  # say which letter it was
        first = exc.problem
        named = dataclasses.replace(first, message=f"{first.message} (writing {job.output.name})")
        raise type(exc)(named, *exc.problems[1:]) from None


def _render_one_unnamed(job: RenderJob) -> Rendered:
    compiled = load_template(job.template, check=False)
    if not job.reserved:
        return Rendered(job.output, compiled.render_to(job.context, job.output))
    data, subject = compiled.render(job.context)
    with open(job.output, "r+b") as fh:
        try:
            fh.write(data)
            fh.truncate()
        except BaseException:
            fh.seek(0)
            fh.truncate()  # an empty file is removed by the caller, never left half-written
            raise
    return Rendered(job.output, subject)


def _render_chunk(jobs: Sequence[RenderJob]) -> list[Rendered]:
    return [_render_one(job) for job in jobs]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def render_jobs(jobs: Sequence[RenderJob], *, workers: int | None = None,
                min_parallel: int = 24,
                progress: Callable[[int, int], None] | None = None) -> list[Rendered]:
    """Render letters, in a process pool when the batch is big enough to be worth it.

    Every template is compiled and checked first, in this process, so a template problem is
    reported before any letter is written. Results come back in the order of ``jobs``.
    """
    for template in {job.template for job in jobs}:
        load_template(template)  # raises TemplateFieldError before anything is written
    workers = default_workers() if workers is None else max(1, workers)
    if workers == 1 or len(jobs) < min_parallel:
        out = []
        for i, job in enumerate(jobs, 1):
            out.append(_render_one(job))
            if progress:
                progress(i, len(jobs))
        return out
    size = max(4, min(64, len(jobs) // (workers * 4) or 1))
    chunks = [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]
    out: list[Rendered] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(_render_chunk, chunks):
            out.extend(result)
            if progress:
                progress(len(out), len(jobs))
    return out
