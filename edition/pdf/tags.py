"""The structure tree of the tagged (screen) edition, made to hold what PDF/UA-1 asks.

WeasyPrint tags the edition as it lays it out; what it writes is fixed here, on the PDF:

- page margin boxes (running heads, folios) are tagged but hang outside the tree: their
  marked content becomes a pagination artifact (ISO 14289-1, 7.8). A figure in a margin
  box (the half-page ad at the foot of a page) is real content: it joins the tree where
  its page's content is;
- every descendant box of a link gets a link annotation of its own, tagged as whatever the
  box is (Span, NonStruct, Figure): each annotation is put under the nearest enclosing
  `Link` element, or a `Link` of its own (7.18.5);
- a link's /Contents is its destination's slug: it becomes what the link leads to, the
  title of the section or article, or else its own text or address (7.18.5, 14.9.3);
- marked content inside a form XObject (a transparency group: an element with opacity) is
  numbered for its page, where no reader finds it: the form gets a parent-tree entry of its
  own and the elements reach it by a marked-content reference with /Stm (ISO 32000-1,
  14.7.4.3).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pikepdf
from pikepdf import Name

from edition.pdf.subsets import unicode_map

MIN_LETTERS = 3  # a link text with fewer letters (a page number) says nothing on its own


@dataclass
class _Tree:
    """The structure tree's root and its parent tree, read into a dictionary (number ->
    element, or array of elements by MCID) and written back as one flat number tree."""

    root: pikepdf.Dictionary
    parents: dict[int, pikepdf.Object] = field(default_factory=dict)

    @classmethod
    def read(cls, root: pikepdf.Dictionary) -> _Tree:
        tree = cls(root)
        if "/ParentTree" in root:
            for key, value in _number_tree(root.ParentTree):
                tree.parents[key] = value
        return tree

    def write(self, pdf: pikepdf.Pdf) -> None:
        nums: list[object] = []
        for key in sorted(self.parents):
            nums += [key, self.parents[key]]
        self.root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
        self.root.ParentTreeNextKey = max(self.parents, default=-1) + 1


def _number_tree(node: pikepdf.Object, depth: int = 0) -> Iterator[tuple[int, pikepdf.Object]]:
    if depth > 32:
        return
    nums = node.get("/Nums")
    if nums is not None:
        for i in range(0, len(nums) - 1, 2):
            yield int(nums[i]), nums[i + 1]
    for kid in node.get("/Kids", []):
        yield from _number_tree(kid, depth + 1)


def _kids(elem: pikepdf.Object) -> list[pikepdf.Object]:
    k = elem.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _set_kids(elem: pikepdf.Object, kids: list[pikepdf.Object]) -> None:
    elem.K = pikepdf.Array(kids)


def _is_elem(obj: object) -> bool:
    """A structure element (not a marked-content or object reference)."""
    if not isinstance(obj, pikepdf.Dictionary) or "/S" not in obj:
        return False
    return obj.get("/Type", Name.StructElem) not in (Name.MCR, Name.OBJR)


def _walk(elem: pikepdf.Object, seen: set[tuple[int, int]]) -> Iterator[pikepdf.Object]:
    """`elem` and the elements under it, in document order (each once)."""
    stack = [elem]
    while stack:
        node = stack.pop()
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        yield node
        stack.extend(reversed([k for k in _kids(node) if _is_elem(k)]))


Instruction = pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage


def _instructions(holder: pikepdf.Object) -> list[Instruction]:
    return list(pikepdf.parse_content_stream(holder))


def _operands(inst: Instruction) -> list[pikepdf.Object]:
    return list(inst.operands) if isinstance(inst, pikepdf.ContentStreamInstruction) else []


def _operator(inst: Instruction) -> str:
    return str(inst.operator) if isinstance(inst, pikepdf.ContentStreamInstruction) else ""


def fix_structure(pdf: pikepdf.Pdf) -> None:
    """Repair the structure tree of a tagged PDF written by WeasyPrint (see the module)."""
    root = pdf.Root.get("/StructTreeRoot")
    if not isinstance(root, pikepdf.Dictionary) or "/K" not in root:
        return
    tree = _Tree.read(root)
    _margin_content(pdf, tree)
    _links(pdf, tree)
    _describe_links(pdf, tree)
    _forms(pdf, tree)
    tree.write(pdf)


# --- margin boxes -----------------------------------------------------------------------


def _document(root: pikepdf.Object) -> pikepdf.Object | None:
    kids = [k for k in _kids(root) if _is_elem(k)]
    return kids[0] if len(kids) == 1 else None


def _margin_content(pdf: pikepdf.Pdf, tree: _Tree) -> None:
    """Elements outside the tree: artifacts, or (figures) into the tree."""
    document = _document(tree.root)
    if document is None:
        return
    reached: set[tuple[int, int]] = set()
    for elem in _kids(tree.root):
        if _is_elem(elem):
            for _ in _walk(elem, reached):
                pass
    orphans = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary)
        and obj.get("/Type") == Name.StructElem
        and obj.objgen not in reached
        and isinstance(obj.get("/P"), pikepdf.Dictionary)
        and obj.P.objgen in reached
    ]
    if not orphans:
        return
    top_of = _top_index(document, tree)
    artifacts: dict[tuple[int, int], set[int]] = {}  # page -> MCIDs that become artifacts
    for orphan in orphans:
        elems = list(_walk(orphan, set()))
        if any(e.get("/S") == Name.Figure for e in elems):
            page = orphan.get("/Pg")
            at = top_of.get(page.objgen, len(_kids(document)) - 1) if page is not None else -1
            kids = _kids(document)
            kids.insert(at + 1, orphan)
            _set_kids(document, kids)
            orphan.P = document
            top_of = _top_index(document, tree)
            continue
        for elem in elems:
            for where, mcid in _mcids(elem):
                artifacts.setdefault(where.objgen, set()).add(mcid)
    if not artifacts:
        return
    for pdf_page in pdf.pages:
        mcids = artifacts.get(pdf_page.obj.objgen)
        if not mcids:
            continue
        resources = pdf_page.obj.get("/Resources", pikepdf.Dictionary())
        _to_artifacts(pdf, pdf_page.obj, resources, mcids)
        key = pdf_page.obj.get("/StructParents")
        if key is not None and isinstance(tree.parents.get(int(key)), pikepdf.Array):
            entries = tree.parents[int(key)]
            for mcid in mcids:
                if mcid < len(entries):
                    entries[mcid] = None


def _top_index(document: pikepdf.Object, tree: _Tree) -> dict[tuple[int, int], int]:
    """Page -> index of the last child of the document element with content on it."""
    index = {k.objgen: i for i, k in enumerate(_kids(document)) if _is_elem(k)}
    out: dict[tuple[int, int], int] = {}
    for entries in tree.parents.values():
        if not isinstance(entries, pikepdf.Array):
            continue
        for elem in entries:
            top = _top_of(elem, document)
            if top is None or top.objgen not in index or "/Pg" not in elem:
                continue
            page = elem.Pg.objgen
            out[page] = max(out.get(page, -1), index[top.objgen])
    return out


def _top_of(elem: object, document: pikepdf.Object) -> pikepdf.Object | None:
    node = elem
    for _ in range(256):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        parent = node.get("/P")
        if isinstance(parent, pikepdf.Dictionary) and parent.objgen == document.objgen:
            return node
        node = parent
    return None


def _mcids(elem: pikepdf.Object) -> Iterator[tuple[pikepdf.Object, int]]:
    """(page, MCID) of the marked content directly under `elem`."""
    page = elem.get("/Pg")
    for kid in _kids(elem):
        if isinstance(kid, int) and page is not None:
            yield page, int(kid)
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == Name.MCR:
            kid_page = kid.get("/Pg", page)
            if "/Stm" not in kid and kid_page is not None:
                yield kid_page, int(kid.MCID)


def _to_artifacts(
    pdf: pikepdf.Pdf, holder: pikepdf.Object, resources: pikepdf.Object, mcids: set[int]
) -> None:
    """The marked content `mcids` of a page (or form) marked as pagination artifacts."""
    changed = False
    out: list[Instruction] = []
    for inst in _instructions(holder):
        op = _operator(inst)
        if op == "BDC" and _mcid_of(_operands(inst), resources) in mcids:
            artifact = pikepdf.Dictionary(Type=Name.Pagination)
            inst = pikepdf.ContentStreamInstruction(
                [Name.Artifact, artifact], pikepdf.Operator("BDC")
            )
            changed = True
        elif op == "Do":
            form = _form(resources, _operands(inst)[0])
            if form is not None:
                _to_artifacts(pdf, form, form.get("/Resources", resources), mcids)
        out.append(inst)
    if changed:
        data = pikepdf.unparse_content_stream(out)
        if isinstance(holder, pikepdf.Stream):
            holder.write(data)
        else:
            holder.Contents = pdf.make_stream(data)


def _mcid_of(operands: list[pikepdf.Object], resources: pikepdf.Object) -> int | None:
    props = operands[1] if len(operands) == 2 else None
    if isinstance(props, pikepdf.Name) and isinstance(resources, pikepdf.Dictionary):
        named = resources.get("/Properties")
        props = named.get(props) if isinstance(named, pikepdf.Dictionary) else None
    if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
        return int(props.MCID)
    return None


def _form(resources: pikepdf.Object, name: pikepdf.Object) -> pikepdf.Stream | None:
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    form = (
        xobjects.get(name)
        if isinstance(xobjects, pikepdf.Dictionary) and isinstance(name, pikepdf.Name)
        else None
    )
    if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == Name.Form:
        return form
    return None


# --- links ------------------------------------------------------------------------------


def _links(pdf: pikepdf.Pdf, tree: _Tree) -> None:
    """Every link annotation's object reference under a Link element."""
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != Name.Link or "/StructParent" not in annot:
                continue
            key = int(annot.StructParent)
            elem = tree.parents.get(key)
            if not isinstance(elem, pikepdf.Dictionary) or elem.get("/S") == Name.Link:
                continue
            kids = _kids(elem)
            at = next((i for i, k in enumerate(kids) if _refers_to(k, annot)), None)
            if at is None:
                continue
            objr = kids.pop(at)
            link = _ancestor(elem, Name.Link)
            if link is not None:
                _set_kids(link, [*_kids(link), objr])
            else:
                link = pdf.make_indirect(
                    pikepdf.Dictionary(
                        Type=Name.StructElem, S=Name.Link, P=elem, K=pikepdf.Array([objr])
                    )
                )
                if "/Pg" in elem:
                    link.Pg = elem.Pg
                kids.insert(at, link)
            _set_kids(elem, kids)
            tree.parents[key] = link


def _refers_to(kid: object, annot: pikepdf.Object) -> bool:
    return (
        isinstance(kid, pikepdf.Dictionary)
        and kid.get("/Type") == Name.OBJR
        and isinstance(kid.get("/Obj"), pikepdf.Dictionary)
        and kid.Obj.objgen == annot.objgen
    )


def _ancestor(elem: pikepdf.Object, kind: Name) -> pikepdf.Object | None:
    node = elem.get("/P")
    for _ in range(256):
        if not isinstance(node, pikepdf.Dictionary) or node.get("/Type") == Name.StructTreeRoot:
            return None
        if node.get("/S") == kind:
            return node
        node = node.get("/P")
    return None


# --- what a link says -------------------------------------------------------------------


def _describe_links(pdf: pikepdf.Pdf, tree: _Tree) -> None:
    """Each link annotation's /Contents: the title of what it leads to, else its text."""
    titles = _destination_titles(pdf)
    wanted = {
        (pg.objgen, mcid)
        for page in pdf.pages
        for annot in page.obj.get("/Annots", [])
        if isinstance(
            link := tree.parents.get(int(annot.get("/StructParent", -1))), pikepdf.Dictionary
        )
        for elem in _walk(link, set())
        for pg, mcid in _mcids(elem)
    }
    texts = _marked_texts(pdf, wanted)
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != Name.Link:
                continue
            link = tree.parents.get(int(annot.get("/StructParent", -1)))
            text = ""
            if isinstance(link, pikepdf.Dictionary):
                parts = [
                    texts.get((pg.objgen, mcid), "")
                    for elem in _walk(link, set())
                    for pg, mcid in _mcids(elem)
                ]
                text = " ".join(" ".join(parts).split())
            target = _target_title(pdf, annot, titles)
            uri = ""
            action = annot.get("/A")
            if isinstance(action, pikepdf.Dictionary) and action.get("/S") == Name.URI:
                uri = str(action.get("/URI", ""))
            if target:
                words = target
            elif _letters(text) >= MIN_LETTERS:
                words = text
            else:
                words = uri.removeprefix("mailto:") or text or str(annot.get("/Contents", ""))
            annot.Contents = pikepdf.String(words)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


@dataclass(frozen=True)
class _Mark:
    title: str
    level: int
    page: int
    y: float


def _destination_titles(pdf: pikepdf.Pdf) -> list[_Mark]:
    """Every bookmark: its title, depth, page and height on the page."""
    pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    marks: list[_Mark] = []
    outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, pikepdf.Dictionary):
        return marks

    def visit(item: object, level: int, budget: list[int]) -> None:
        while isinstance(item, pikepdf.Dictionary) and budget[0] > 0:
            budget[0] -= 1
            where = _resolve(pdf, item.get("/Dest"), pages)
            if where is not None:
                marks.append(_Mark(" ".join(str(item.get("/Title", "")).split()), level, *where))
            visit(item.get("/First"), level + 1, budget)
            item = item.get("/Next")

    visit(outlines.get("/First"), 1, [10000])
    return marks


def _resolve(
    pdf: pikepdf.Pdf, dest: object, pages: dict[tuple[int, int], int]
) -> tuple[int, float] | None:
    """(page index, y) of a destination, named or explicit."""
    if isinstance(dest, pikepdf.String | pikepdf.Name):
        names = pdf.Root.get("/Names")
        if not isinstance(names, pikepdf.Dictionary) or "/Dests" not in names:
            return None
        tree = pikepdf.NameTree(names.Dests)
        key = str(dest)
        if key not in tree:
            return None
        dest = tree[key]
        if isinstance(dest, pikepdf.Dictionary):
            dest = dest.get("/D")
    if not isinstance(dest, pikepdf.Array) or not len(dest):
        return None
    page = dest[0]
    if not isinstance(page, pikepdf.Dictionary) or page.objgen not in pages:
        return None
    y = dest[3] if len(dest) > 3 and dest[1] == Name.XYZ else None
    return pages[page.objgen], float(y) if isinstance(y, int | float | Decimal) else 0.0


def _target_title(pdf: pikepdf.Pdf, annot: pikepdf.Object, marks: list[_Mark]) -> str:
    """The title of the bookmark nearest to where an internal link leads."""
    pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    where = _resolve(pdf, annot.get("/Dest"), pages)
    if where is None:
        return ""
    page, y = where
    here = [m for m in marks if m.page == page]
    if not here:
        return ""
    best = max(here, key=lambda m: (m.level, -abs(m.y - y)))
    return best.title


# --- text of marked content -------------------------------------------------------------


def _marked_texts(
    pdf: pikepdf.Pdf, wanted: set[tuple[tuple[int, int], int]]
) -> dict[tuple[tuple[int, int], int], str]:
    """(page, MCID) -> the text shown inside that marked content (forms included), for the
    marked content `wanted`."""
    out: dict[tuple[tuple[int, int], int], str] = {}
    cmaps: dict[tuple[int, int], dict[int, str]] = {}
    pages = {page for page, _ in wanted}
    for page in pdf.pages:
        if page.obj.objgen not in pages:
            continue
        reader = _TextReader(page.obj.objgen, cmaps, out, wanted)
        reader.read(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), 0)
    return out


@dataclass
class _TextReader:
    page: tuple[int, int]
    cmaps: dict[tuple[int, int], dict[int, str]]
    out: dict[tuple[tuple[int, int], int], str]
    wanted: set[tuple[tuple[int, int], int]]
    stack: list[int | None] = field(default_factory=list)  # MCIDs of the open marks

    def read(self, holder: pikepdf.Object, resources: pikepdf.Object, depth: int) -> None:
        if depth > 8:
            return
        font: tuple[int, int] | None = None
        saved: list[tuple[int, int] | None] = []
        for inst in _instructions(holder):
            op, operands = _operator(inst), _operands(inst)
            if op in ("BDC", "BMC"):
                mcid = _mcid_of(operands, resources) if op == "BDC" else None
                self.stack.append(mcid)
            elif op == "EMC" and self.stack:
                self.stack.pop()
            elif op == "q":
                saved.append(font)
            elif op == "Q" and saved:
                font = saved.pop()
            elif op == "Tf":
                font = self._font(resources, operands[0])
            elif op in ("Tj", "'", '"', "TJ"):
                self._show(font, operands[-1])
            elif op == "Do":
                form = _form(resources, operands[0])
                if form is not None:
                    self.read(form, form.get("/Resources", resources), depth + 1)

    def _font(self, resources: pikepdf.Object, name: pikepdf.Object) -> tuple[int, int] | None:
        fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(fonts, pikepdf.Dictionary) or not isinstance(name, pikepdf.Name):
            return None
        font = fonts.get(name)
        if not isinstance(font, pikepdf.Dictionary):
            return None
        key = font.objgen
        if key not in self.cmaps:
            cmap = font.get("/ToUnicode")
            self.cmaps[key] = (
                unicode_map(cmap.read_bytes()) if isinstance(cmap, pikepdf.Stream) else {}
            )
            self.cmaps[key][-1] = "2" if font.get("/Subtype") == Name.Type0 else "1"
        return key

    def _show(self, font: tuple[int, int] | None, what: object) -> None:
        mcid = next((m for m in reversed(self.stack) if m is not None), None)
        if mcid is None or font is None or (self.page, mcid) not in self.wanted:
            return
        cmap = self.cmaps[font]
        width = 2 if cmap.get(-1) == "2" else 1
        pieces = what if isinstance(what, pikepdf.Array) else [what]
        text = []
        for piece in pieces:
            if isinstance(piece, pikepdf.String):
                raw = bytes(piece)
                for i in range(0, len(raw) - width + 1, width):
                    code = int.from_bytes(raw[i : i + width], "big")
                    text.append(cmap.get(code, ""))
            elif isinstance(piece, int | float | Decimal) and piece < -300:
                # a gap wider than a third of an em reads as a space
                text.append(" ")
        key = (self.page, mcid)
        self.out[key] = self.out.get(key, "") + "".join(text)


# --- marked content in forms ------------------------------------------------------------


def _forms(pdf: pikepdf.Pdf, tree: _Tree) -> None:
    """Marked content inside form XObjects reached through the form's own parent-tree
    entry and marked-content references with /Stm."""
    uses: dict[tuple[int, int], int] = {}
    placed: list[tuple[pikepdf.Page, pikepdf.Stream]] = []
    for page in pdf.pages:
        for form in _forms_on(page.obj.get("/Resources", pikepdf.Dictionary()), page.obj, 0):
            uses[form.objgen] = uses.get(form.objgen, 0) + 1
            placed.append((page, form))
    for page, form in placed:
        if uses[form.objgen] != 1 or "/StructParents" in form:
            continue  # a form drawn twice cannot belong to one element (14.7.4.3)
        resources = form.get("/Resources", page.obj.get("/Resources", pikepdf.Dictionary()))
        found = _own_mcids(form, resources)
        key = page.obj.get("/StructParents")
        entries = tree.parents.get(int(key)) if key is not None else None
        if not found or not isinstance(entries, pikepdf.Array):
            continue
        renumber = {old: new for new, old in enumerate(found)}
        elems: list[pikepdf.Object] = []
        for old in found:
            elem = entries[old] if old < len(entries) else None
            if not isinstance(elem, pikepdf.Dictionary):
                elems = []
                break
            elems.append(elem)
        if not elems:
            continue
        _renumber(form, resources, renumber)
        form_key = tree.root.get("/ParentTreeNextKey", 0)
        form_key = max(int(form_key), max(tree.parents, default=-1) + 1)
        form.StructParents = form_key
        tree.parents[form_key] = pikepdf.Array(elems)
        for old, elem in zip(found, elems, strict=True):
            kids = _kids(elem)
            for i, kid in enumerate(kids):
                if isinstance(kid, int) and int(kid) == old:
                    kids[i] = pikepdf.Dictionary(
                        Type=Name.MCR, Pg=page.obj, Stm=form, MCID=renumber[old]
                    )
            _set_kids(elem, kids)
            entries[old] = None
        tree.root.ParentTreeNextKey = form_key + 1


def _forms_on(
    resources: pikepdf.Object, holder: pikepdf.Object, depth: int
) -> Iterator[pikepdf.Stream]:
    """The form XObjects drawn by a page (and by the forms it draws)."""
    if depth > 8:
        return
    for inst in _instructions(holder):
        if _operator(inst) == "Do":
            form = _form(resources, _operands(inst)[0])
            if form is not None:
                yield form
                yield from _forms_on(form.get("/Resources", resources), form, depth + 1)


def _own_mcids(form: pikepdf.Stream, resources: pikepdf.Object) -> list[int]:
    out = []
    for inst in _instructions(form):
        if _operator(inst) == "BDC":
            mcid = _mcid_of(_operands(inst), resources)
            if mcid is not None:
                out.append(mcid)
    return out


def _renumber(form: pikepdf.Stream, resources: pikepdf.Object, renumber: dict[int, int]) -> None:
    out: list[Instruction] = []
    for inst in _instructions(form):
        operands = _operands(inst)
        mcid = _mcid_of(operands, resources) if _operator(inst) == "BDC" else None
        if mcid is not None:
            props = pikepdf.Dictionary(MCID=renumber[mcid])
            inst = pikepdf.ContentStreamInstruction([operands[0], props], pikepdf.Operator("BDC"))
        out.append(inst)
    form.write(pikepdf.unparse_content_stream(out))
