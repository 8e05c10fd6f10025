"""Load an issue folder into a validated `Issue`, reporting every problem with its file and line."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ValidationError

from .errors import EditionError, Finding, Location, Severity
from .images import probe_image
from .model import Ad, Article, ArticleMeta, Issue, IssueSpec, Photo
from .text import image_refs

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
AD_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
MAX_ARTICLE_BYTES = 2_000_000

Key = tuple[str | int, ...]


# --- where things were written ------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEYLINE = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


@dataclass
class TomlLines:
    """Maps key paths of a TOML file to the line they were written on.

    tomllib gives values but no positions; this scan of the text covers the
    shapes an editor writes (tables, arrays of tables, `key = value`).
    """

    lines: list[str]
    keys: dict[Key, int] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str) -> TomlLines:
        index = cls(text.splitlines())
        prefix: Key = ()
        counts: dict[Key, int] = {}
        for no, line in enumerate(index.lines, start=1):
            if m := _HEADER.match(line):
                names = tuple(p.strip().strip('"') for p in m.group(2).split("."))
                if m.group(1) == "[[":
                    n = counts.get(names, -1) + 1
                    counts[names] = n
                    prefix = (*names, n)
                else:
                    prefix = names
                index.keys.setdefault(prefix, no)
                continue
            if m := _KEYLINE.match(line):
                index.keys.setdefault((*prefix, m.group(1).strip('"')), no)
        return index

    def line(self, key: Iterable[str | int]) -> int | None:
        """Line of the longest known prefix of `key`."""
        parts = tuple(key)
        while parts:
            if parts in self.keys:
                return self.keys[parts]
            parts = parts[:-1]
        return None

    def value_line(self, key: Key, needle: str, occurrence: int = 0) -> int | None:
        """Line where the string `needle` is written under `key` (e.g. a list item).

        `occurrence` counts from 0, for a value written more than once.
        """
        start = self.line(key)
        if start is None:
            return None
        quoted = (f'"{needle}"', f"'{needle}'")
        for no in range(start, min(len(self.lines), start + 200) + 1):
            text = self.lines[no - 1]
            if no > start and (_KEYLINE.match(text) or _HEADER.match(text)):
                break
            occurrence -= sum(text.count(q) for q in quoted)
            if occurrence < 0:
                return no
        return start


def _yaml_key_lines(text: str, offset: int) -> dict[Key, int]:
    """Line of each key (and list item) in a YAML mapping, shifted by `offset`."""
    out: dict[Key, int] = {}

    def walk(node: yaml.Node, path: Key) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(k.value))
                out[key] = k.start_mark.line + 1 + offset
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                out[(*path, i)] = item.start_mark.line + 1 + offset
                walk(item, (*path, i))

    try:
        root = yaml.compose(text, Loader=_FrontMatterLoader)
    except yaml.YAMLError:
        return out
    if root is not None:
        walk(root, ())
    return out


# --- turning pydantic errors into findings ------------------------------------


def _pydantic_findings(
    exc: ValidationError, path: Path, line_of: Callable[[Key], int | None],
    model: type[BaseModel], code: str,
) -> list[Finding]:
    findings = []
    for err in exc.errors():
        loc: Key = tuple(err["loc"])
        line = line_of(loc)
        name = ".".join(str(p) for p in loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            known = _known_keys(model, loc[:-1])
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
            findings.append(Finding(f"unknown key '{name}'", Location(path, line), hint,
                                    f"{code}.unknown-key"))
        elif kind == "missing":
            findings.append(Finding(f"missing key '{name}'", Location(path, line_of(loc[:-1]) or 1),
                                    f"add '{loc[-1]}'", f"{code}.missing-key"))
        elif kind.startswith("date"):
            findings.append(Finding(f"'{name}' is not a date: {err.get('input')!r}",
                                    Location(path, line), "write it as YYYY-MM-DD",
                                    f"{code}.bad-date"))
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            findings.append(Finding(f"'{name}' cannot be {err.get('input')!r}",
                                    Location(path, line), f"use one of {expected}",
                                    f"{code}.bad-value"))
        else:
            findings.append(Finding(f"'{name}': {err['msg'].lower()}", Location(path, line),
                                    "correct the value", f"{code}.bad-value"))
    return findings


def _closest(lines: dict[Key, int], loc: Key) -> int | None:
    parts = tuple(loc)
    while parts:
        if parts in lines:
            return lines[parts]
        parts = parts[:-1]
    return None


def _known_keys(model: type[BaseModel], loc: Key) -> list[str]:
    """Field names of the (sub)model that `loc` points into."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        field_info = fields.get(str(part)) if fields is not None else None
        if field_info is None:
            break
        current = _model_of(field_info.annotation)
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _model_of(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


# --- files ---------------------------------------------------------------------


def read_text(path: Path, findings: list[Finding], what: str) -> str | None:
    """Read a UTF-8 text file, or add one finding that says why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        findings.append(Finding(f"{what} not found", Location(path), "create it or fix the path",
                                "file.missing"))
        return None
    except IsADirectoryError:
        findings.append(Finding(f"{what} is a folder, not a file", Location(path),
                                "replace it with the file", "file.unreadable"))
        return None
    except OSError as exc:
        findings.append(Finding(f"cannot read {what}: {exc.strerror}", Location(path),
                                "check the file's permissions", "file.unreadable"))
        return None
    if len(data) > MAX_ARTICLE_BYTES:
        findings.append(Finding(f"{what} is {len(data)} bytes, more than the limit of "
                                f"{MAX_ARTICLE_BYTES}", Location(path), "split or shorten it",
                                "file.too-large"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.append(Finding(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                                Location(path, line), "save the file as UTF-8", "file.encoding"))
        return None
    if "\x00" in text:
        findings.append(Finding(f"{what} contains NUL bytes, it is not a text file",
                                Location(path, text[: text.index("\x00")].count("\n") + 1),
                                "replace it with a text file", "file.binary"))
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


NAME_MAX = 255  # bytes in one part of a path, on the file systems an issue lives on


def impossible_name(rel: str) -> bool:
    """A name no file can have: a NUL byte, a lone surrogate, a part longer than NAME_MAX.

    The file system would answer such a name with an exception, not with "no such file".
    """
    try:
        encoded = os.fsencode(rel)
    except (UnicodeError, ValueError):
        return True
    return b"\0" in encoded or any(len(part) > NAME_MAX for part in re.split(rb"[/\\]", encoded))


def _inside(root: Path, rel: str) -> Path | None:
    """`rel` resolved under `root`, or None when it would leave the folder."""
    if not rel or rel.startswith(("/", "\\")) or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", rel):
        return None
    try:
        target = (root / rel).resolve()
        target.relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):  # outside, or a symlink loop on the way
        return None
    return target


def resolve_file(root: Path, rel: str, where: Location, what: str, suffixes: set[str],
                 findings: list[Finding]) -> Path | None:
    """Check that `rel` names an existing file of the right kind inside the issue folder."""
    if impossible_name(rel):
        findings.append(Finding(f"{what} '{rel}' is not a possible file name", where,
                                "check the path: it holds a NUL character or a part longer "
                                f"than {NAME_MAX} bytes", "path.invalid"))
        return None
    target = _inside(root, rel)
    if target is None:
        findings.append(Finding(f"{what} '{rel}' is outside the issue folder", where,
                                "use a path relative to the issue folder, without '..'",
                                "path.outside"))
        return None
    if not target.is_file():
        hint = "check the file name"
        near = _names_in(target.parent) if target.parent.is_relative_to(root.resolve()) else []
        close = difflib.get_close_matches(target.name, near, n=1)
        if close:
            hint = f"did you mean '{Path(rel).parent / close[0]}'?"
        findings.append(Finding(f"{what} '{rel}' does not exist", where, hint, "path.missing"))
        return None
    if target.suffix.lower() not in suffixes:
        findings.append(Finding(f"{what} '{rel}' is not a supported file type",
                                where, f"use one of {', '.join(sorted(suffixes))}",
                                "path.type"))
        return None
    return target


def _names_in(folder: Path) -> list[str]:
    """The names in `folder`, for a did-you-mean; none when it cannot be listed."""
    try:
        return [p.name for p in folder.iterdir()]
    except OSError:
        return []


# --- articles -------------------------------------------------------------------

_FENCE = re.compile(r"^---\s*$")


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: dates stay text and pydantic judges them."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_article(path: Path, slug: str, rubric: str, root: Path,
                 findings: list[Finding], images: list[Path] | None = None) -> Article | None:
    """Parse one article file; append findings for what is wrong with it.

    The photos it uses are appended to `images`, for load_issue to check once each.
    """
    text = read_text(path, findings, "article")
    if text is None:
        return None
    if not text.strip():
        findings.append(Finding("article file is empty", Location(path), "write its front "
                                "matter and text, or take its slug out of issue.toml",
                                "article.empty"))
        return None
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        findings.append(Finding("article has no front matter", Location(path, 1),
                                "start the file with '---', the YAML keys (at least 'title'), "
                                "and '---'", "front-matter.missing"))
        return None
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if end is None:
        findings.append(Finding("front matter is not closed", Location(path, 1),
                                "add a line '---' after the last key", "front-matter.unclosed"))
        return None
    head = "\n".join(lines[1:end])
    try:
        data = yaml.load(head, Loader=_FrontMatterLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        findings.append(Finding(f"front matter is not valid YAML: {problem}", Location(path, line),
                                "fix the YAML syntax; quote values that contain ':'",
                                "front-matter.yaml"))
        return None
    if not isinstance(data, dict):
        findings.append(Finding("front matter must be 'key: value' lines", Location(path, 2),
                                "write one 'key: value' per line", "front-matter.yaml"))
        return None
    key_lines = _yaml_key_lines(head, offset=1)
    try:
        meta = ArticleMeta.model_validate(data)
    except ValidationError as exc:
        findings.extend(_pydantic_findings(exc, path, functools.partial(_closest, key_lines),
                                           ArticleMeta, "front-matter"))
        return None
    after = "\n".join(lines[end + 1:])
    body = after.strip("\n")
    body_line = end + 2 + len(after) - len(after.lstrip("\n"))  # blank lines skipped
    if not body.strip():
        findings.append(Finding("article has no text", Location(path, end + 2),
                                "write the article below the front matter", "article.empty"))
        return None
    found: list[Path] = []
    lead = None
    if meta.lead_photo:
        where = Location(path, key_lines.get(("lead_photo",)))
        photo = resolve_file(root, meta.lead_photo, where, "lead photo", IMAGE_SUFFIXES, findings)
        if photo is not None:
            lead = Photo(path=photo, caption=meta.lead_caption, credit=meta.credit)
            found.append(photo)
    found += _check_body_images(body, root, path, body_line, findings)
    if images is not None:
        images.extend(found)
    return Article(slug=slug, path=path, meta=meta, rubric=meta.rubric or rubric, body=body,
                   body_line=body_line, lead=lead)


def _check_body_images(body: str, root: Path, path: Path, first_line: int,
                       findings: list[Finding]) -> list[Path]:
    """Check every image of the body as the Markdown parser sees it, and return the files.

    Using the parser, not a pattern, matters: a reference-style image (`![x][r]` with
    `[r]: /elsewhere/photo.jpg`) must be checked like any other, or it reads a file
    from outside the issue into the PDF.
    """
    found = []
    for src, offset in image_refs(body):
        photo = resolve_file(root, src, Location(path, first_line + offset), "photo",
                             IMAGE_SUFFIXES, findings)
        if photo is not None:
            found.append(photo)
    return found


def _check_images(paths: Iterable[Path], findings: list[Finding]) -> None:
    """Read the header of every image once: not an image, empty, or too large to decode."""
    for path in dict.fromkeys(paths):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue  # a PDF ad
        try:
            probe_image(path)
        except EditionError as exc:
            findings.extend(exc.findings)


def _check_language(language: str, where: Location, findings: list[Finding]) -> None:
    """Dates are printed in the issue's language: Babel must know it."""
    try:
        Locale.parse(language)
    except (ValueError, TypeError, UnknownLocaleError):
        findings.append(Finding(f"unknown language '{language}'", where,
                                "use a language code such as 'id' or 'en', or 'id_ID' with a "
                                "country", "issue.language"))


# --- the issue -------------------------------------------------------------------


def load_issue(root: Path) -> Issue:
    """Read and validate the issue folder `root`; raise EditionError with every problem found."""
    try:
        issue = _load_issue(Path(root))
    except EditionError as exc:
        raise EditionError(_one_line(exc.findings)) from None
    issue.warnings = _one_line(issue.warnings)
    return issue


def _one_line(findings: list[Finding]) -> list[Finding]:
    """Findings quote what the editor wrote, which may hold a line break or a NUL: shown
    escaped, each finding stays one line (and a lone surrogate cannot break the terminal)."""
    return [dataclasses.replace(f, message=_printable(f.message),
                                hint=_printable(f.hint) if f.hint else f.hint)
            for f in findings]


def _printable(text: str) -> str:
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch
                   for ch in text)


def _load_issue(root: Path) -> Issue:
    toml_path = root / "issue.toml"
    if not root.is_dir():
        raise EditionError.single("not an issue folder", root, None,
                                  "give the folder that holds issue.toml", "issue.missing")
    findings: list[Finding] = []
    text = read_text(toml_path, findings, "issue.toml")
    if text is None:
        raise EditionError(findings)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise EditionError.single(f"issue.toml is not valid TOML: {msg.lower()}", toml_path,
                                  int(m.group(1)) if m else None,
                                  "fix the TOML syntax", "issue.toml-syntax") from None
    where = TomlLines.scan(text)
    spec: IssueSpec | None
    try:
        spec = IssueSpec.model_validate(raw)
        rubric_lists = [(r.name, r.articles) for r in spec.rubrics]
    except ValidationError as exc:
        # Go on with the articles, so that one bad key does not hide the other problems.
        findings.extend(_pydantic_findings(exc, toml_path, where.line, IssueSpec, "issue"))
        spec = None
        rubric_lists = _raw_rubrics(raw)

    def loc(*key: str | int) -> Location:
        return Location(toml_path, where.line(key))

    # Articles: each listed once, each file present and valid.
    articles: list[Article] = []
    images: list[Path] = []  # every picture the issue uses, checked once each at the end
    seen: dict[str, Location] = {}
    for r, (rubric_name, slugs) in enumerate(rubric_lists):
        for n, slug in enumerate(slugs):
            line = where.value_line(("rubrics", r, "articles"), slug, slugs[:n].count(slug))
            here = Location(toml_path, line)
            if slug in seen:
                findings.append(Finding(f"article '{slug}' is listed twice (first at line "
                                        f"{seen[slug].line})", here, "remove one of them",
                                        "issue.duplicate-article"))
                continue
            seen[slug] = here
            if impossible_name(f"{slug}.md"):
                findings.append(Finding(f"article '{slug}' is not a possible file name", here,
                                        "a slug is the name of a file in articles/, without "
                                        "'.md'", "path.invalid"))
                continue
            path = _inside(root / "articles", f"{slug}.md")
            if path is None and (root / "articles" / f"{slug}.md").is_file():
                findings.append(Finding(f"article '{slug}' is outside the articles folder",
                                        here, "use a file in articles/, not a link to one "
                                        "elsewhere or a slug with '..'", "path.outside"))
                continue
            if path is not None and path.exists() and not path.is_file():
                findings.append(Finding(f"article '{slug}' is not a file", here,
                                        f"articles/{slug}.md is a folder or a device: make it "
                                        "a Markdown file", "issue.missing-article"))
                continue
            if path is None or not path.is_file():
                close = difflib.get_close_matches(
                    slug, [p.stem for p in (root / "articles").glob("*.md") if p.is_file()], n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"create articles/{slug}.md"
                findings.append(Finding(f"article '{slug}' does not exist", here, hint,
                                        "issue.missing-article"))
                continue
            article = load_article(path, slug, rubric_name, root, findings, images)
            if article is not None:
                articles.append(article)
    if spec is None:
        _check_images(images, findings)
        raise EditionError(findings)
    _check_language(spec.language, loc("language"), findings)
    listed = set(seen)
    for path in sorted((root / "articles").glob("*.md")):
        if path.stem not in listed:
            findings.append(Finding(f"article '{path.stem}' is not listed in any rubric",
                                    Location(path), "add its slug to a [[rubrics]] table in "
                                    "issue.toml, or move the file out of articles/",
                                    "issue.unlisted-article", severity=Severity.WARNING))

    slugs = {a.slug for a in articles} | listed

    def check_slug(value: str | None, *key: str | int) -> None:
        if value is not None and value not in slugs:
            close = difflib.get_close_matches(value, sorted(slugs), n=1)
            findings.append(Finding(f"'{value}' is not an article of this issue", loc(*key),
                                    f"did you mean '{close[0]}'?" if close else
                                    "use the slug of an article listed in [[rubrics]]",
                                    "issue.unknown-article"))

    cover = None
    if spec.cover is not None:
        path = resolve_file(root, spec.cover.photo, loc("cover", "photo"), "cover photo",
                            IMAGE_SUFFIXES, findings)
        if path is not None:
            cover = Photo(path=path, credit=spec.cover.credit)
            images.append(path)
        check_slug(spec.cover.lead, "cover", "lead")
        for slug in spec.cover.lines:
            check_slug(slug, "cover", "lines")
    inframe = []
    for i, item in enumerate(spec.inframe):
        path = resolve_file(root, item.photo, loc("inframe", i, "photo"), "Inframe photo",
                            IMAGE_SUFFIXES, findings)
        if path is not None:
            inframe.append(Photo(path=path, caption=item.caption, credit=item.credit))
            images.append(path)
    for i, news in enumerate(spec.news):
        if news.photo:
            path = resolve_file(root, news.photo, loc("news", i, "photo"), "news photo",
                                IMAGE_SUFFIXES, findings)
            images.extend([path] if path else [])
    for i, pop in enumerate(spec.popular):
        if pop.article is None and not pop.title:
            findings.append(Finding("popular item has neither 'title' nor 'article'",
                                    loc("popular", i), "give one of them", "issue.popular"))
        check_slug(pop.article, "popular", i, "article")
    ads = []
    for i, ad in enumerate(spec.ads):
        path = resolve_file(root, ad.artwork, loc("ads", i, "artwork"), "ad artwork",
                            AD_SUFFIXES, findings)
        placements = [k for k in ("after", "slot", "article") if getattr(ad, k)]
        if len(placements) != 1:
            findings.append(Finding("ad needs exactly one of 'after', 'slot' or 'article'",
                                    loc("ads", i), "full pages take 'after' (a slug) or 'slot'; "
                                    "half and quarter pages take 'article'", "issue.ad-placement"))
        elif ad.size == "full" and ad.article:
            findings.append(Finding("a full-page ad cannot sit on an article's page",
                                    loc("ads", i, "article"), "use 'after' or 'slot'",
                                    "issue.ad-placement"))
        elif ad.size != "full" and (ad.after or ad.slot):
            findings.append(Finding(f"a {ad.size}-page ad is placed on an article's page",
                                    loc("ads", i, placements[0]),
                                    "use 'article' with the slug", "issue.ad-placement"))
        check_slug(ad.after, "ads", i, "after")
        check_slug(ad.article, "ads", i, "article")
        if path is not None:
            ads.append(Ad(spec=ad, path=path, index=i))
            images.append(path)
    slots = [ad.slot for ad in spec.ads if ad.slot]
    for slot in {s for s in slots if slots.count(s) > 1}:
        findings.append(Finding(f"two ads are booked for the '{slot}' slot", loc("ads"),
                                "keep one per slot", "issue.ad-slot-taken"))

    # A related title that is not an article of this issue is printed without a page number.
    for article in articles:
        if article.slug in article.meta.related:
            findings.append(Finding("an article cannot be related to itself",
                                    Location(article.path), "remove it from 'related'",
                                    "front-matter.related-self"))

    _check_images(images, findings)
    if any(f.severity == Severity.ERROR for f in findings):
        raise EditionError(findings)
    return Issue(root=root, spec=spec, articles=articles, cover=cover, inframe=inframe, ads=ads,
                 warnings=findings)


def _raw_rubrics(raw: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The rubric lists of an issue.toml that failed validation, as far as they are readable."""
    out = []
    rubrics = raw.get("rubrics")
    for r in rubrics if isinstance(rubrics, list) else []:
        if isinstance(r, dict):
            slugs = r.get("articles")
            names = [s for s in slugs if isinstance(s, str)] if isinstance(slugs, list) else []
            out.append((str(r.get("name", "")), names))
        else:
            out.append(("", []))
    return out
