"""Reading a PDF's pages back: their drawing instructions, the images they paint, the colour
spaces they use (pikepdf)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pikepdf
from pikepdf import Name


def entry(obj: pikepdf.Object, key: str) -> pikepdf.Dictionary:
    """The dictionary `obj` holds under `key`, or an empty one."""
    value = obj.get(key)
    return value if isinstance(value, pikepdf.Dictionary) else pikepdf.Dictionary()


def resources(obj: pikepdf.Object, kind: str) -> pikepdf.Dictionary:
    """A page's or a form's resources of one kind ("/Font", "/XObject")."""
    return entry(entry(obj, "/Resources"), kind)


def image_space(image: pikepdf.Object) -> str:
    cs = image.get("/ColorSpace")
    if isinstance(cs, pikepdf.Array) and len(cs) and cs[0] == Name.ICCBased:
        return {1: "gray", 3: "rgb", 4: "cmyk"}.get(int(cs[1].get("/N", 0)), "?")
    return {"/DeviceRGB": "rgb", "/DeviceCMYK": "cmyk", "/DeviceGray": "gray"}.get(str(cs), "other")


def mentions_rgb(obj: pikepdf.Object) -> bool:
    try:
        target = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        if not isinstance(target, pikepdf.Dictionary):
            return False
        return "/DeviceRGB" in repr(target)
    except (pikepdf.PdfError, RecursionError):
        return False


_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")
_RGB_OP = re.compile(rb"(?:^|\s)(?:rg|RG)(?:\s|$)|/DeviceRGB\b")


def content_of(obj: pikepdf.Object) -> bytes:
    """A page's or a form's drawing instructions, decoded."""
    contents = obj.get("/Contents") if not isinstance(obj, pikepdf.Stream) else obj
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(c.read_bytes() for c in contents)
    return contents.read_bytes()


def draws_rgb(page: pikepdf.Page) -> bool:
    """RGB colour set in a page's drawing, or in a form it paints (`rg`, `RG`, or a
    colour space named /DeviceRGB for `cs`/`CS`)."""
    stack: list[pikepdf.Object] = [page.obj]
    seen: set[tuple[int, int]] = set()
    while stack:
        obj = stack.pop()
        try:
            if _RGB_OP.search(content_of(obj)):
                return True
        except pikepdf.PdfError:
            continue
        for xobj in resources(obj, "/XObject").values():
            if xobj.get("/Subtype") == Name.Form and xobj.objgen not in seen:
                seen.add(xobj.objgen)
                stack.append(xobj)
    return False


def page_images(page: pikepdf.Page) -> Iterator[tuple[str, pikepdf.Object]]:
    """The images a page really paints (`Do` in its content, through nested forms);
    WeasyPrint shares one resource dictionary between all pages."""
    stack: list[tuple[pikepdf.Object, pikepdf.Dictionary]] = [
        (page.obj, entry(page.obj, "/Resources"))
    ]
    seen: set[tuple[int, int]] = set()
    while stack:
        content, held = stack.pop()
        xobjects = entry(held, "/XObject")
        try:
            data = content_of(content)
        except pikepdf.PdfError:
            continue
        for match in _DO.finditer(data):
            name = "/" + match.group(1).decode("latin-1")
            xobj = xobjects.get(name)
            if xobj is None or xobj.objgen in seen:
                continue
            seen.add(xobj.objgen)
            if xobj.get("/Subtype") == Name.Image:
                yield name.lstrip("/"), xobj
            elif xobj.get("/Subtype") == Name.Form:
                own = xobj.get("/Resources")
                stack.append((xobj, own if isinstance(own, pikepdf.Dictionary) else held))
