"""Load an issue folder into a validated `Issue`, reporting every problem with its file and line."""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError
from pydantic import ValidationError

from edition.errors import EditionError, Finding, Location, Severity
from edition.issue.files import (
    AD_SUFFIXES,
    IMAGE_SUFFIXES,
    impossible_name,
    inside,
    one_line,
    read_text,
    resolve_file,
)
from edition.issue.images import inspect_image
from edition.issue.locate import (
    FrontMatterLoader,
    Key,
    TomlLines,
    closest_line,
    pydantic_findings,
    toml_error,
    yaml_key_lines,
)
from edition.issue.markdown import image_refs
from edition.issue.model import Ad, Article, ArticleMeta, Issue, IssueSpec, Photo
from edition.issue.text import MAX_WORD, has_controls, is_issue_id, overlong_word, strip_controls
from edition.store.transaction import folder_lock, pending, recover

_FENCE = re.compile(r"^---\s*$")


@dataclass
class _Reading:
    """What the loader has found so far: problems, and every picture the issue uses (each
    file is inspected once, at the end, and the photos placed get its size and text)."""

    root: Path
    findings: list[Finding] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)

    def photo(
        self,
        rel: str,
        where: Location,
        what: str,
        caption: str | None = None,
        credit: str | None = None,
        suffixes: set[str] = IMAGE_SUFFIXES,
    ) -> Photo | None:
        path = resolve_file(self.root, rel, where, what, suffixes, self.findings)
        if path is None:
            return None
        photo = Photo(path=path, caption=caption, credit=credit)
        self.photos.append(photo)
        return photo

    def inspect_photos(self) -> None:
        """Read the header of every picture once: not an image, empty, too large to decode
        (one finding per bad file); the good ones get their size, and the caption and credit
        written in the file where the issue gives none."""
        infos = {}
        for path in dict.fromkeys(p.path for p in self.photos):
            try:
                infos[path] = inspect_image(path)
            except EditionError as exc:
                self.findings.extend(exc.findings)
        for photo in self.photos:
            info = infos.get(photo.path)
            if info is not None:
                photo.size = info.size
                photo.caption = photo.caption or info.text.caption
                photo.credit = photo.credit or info.text.credit


# --- articles -------------------------------------------------------------------


def load_article(path: Path, slug: str, rubric: str, reading: _Reading) -> Article | None:
    """Parse one article file; add a finding for each thing wrong with it, all of them."""
    findings = reading.findings
    text = read_text(path, findings, "article")
    if text is None:
        return None
    if not text.strip():
        findings.append(
            Finding(
                "article file is empty",
                Location(path),
                "write its front matter and text, or take its slug out of issue.toml",
                "article.empty",
            )
        )
        return None
    lines = text.split("\n")
    if not _FENCE.match(lines[0]):
        findings.append(
            Finding(
                "article has no front matter",
                Location(path, 1),
                "start the file with '---', the YAML keys (at least 'title'), and '---'",
                "front-matter.missing",
            )
        )
        return None
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if end is None:
        findings.append(
            Finding(
                "front matter is not closed",
                Location(path, 1),
                "add a line '---' after the last key",
                "front-matter.unclosed",
            )
        )
        return None
    head = "\n".join(lines[1:end])
    data = _front_matter(head, path, findings)
    if data is None:
        return None
    key_lines = yaml_key_lines(head, offset=1)
    data = clean_strings(data, path, functools.partial(closest_line, key_lines), findings)
    meta: ArticleMeta | None
    try:
        meta = ArticleMeta.model_validate(data)
    except ValidationError as exc:
        findings.extend(
            pydantic_findings(
                exc, path, functools.partial(closest_line, key_lines), ArticleMeta, "front-matter"
            )
        )
        meta = None  # go on: the body and the photos may hold more problems
    after = "\n".join(lines[end + 1 :])
    body = after.strip("\n")
    body_line = end + 2 + len(after) - len(after.lstrip("\n"))  # blank lines skipped
    body = _clean_body(body, path, body_line, findings)
    if not body.strip():
        findings.append(
            Finding(
                "article has no text",
                Location(path, end + 2),
                "write the article below the front matter",
                "article.empty",
            )
        )
    lead_rel = meta.lead_photo if meta is not None else data.get("lead_photo")
    lead = None
    if isinstance(lead_rel, str) and lead_rel:
        lead = reading.photo(
            lead_rel,
            Location(path, key_lines.get(("lead_photo",))),
            "lead photo",
            meta.lead_caption if meta else None,
            meta.credit if meta else None,
        )
    figures = _body_photos(body, path, body_line, reading)
    if meta is None or not body.strip():
        return None
    return Article(
        slug=slug,
        path=path,
        meta=meta,
        rubric=meta.rubric or rubric,
        body=body,
        body_line=body_line,
        lead=lead,
        figures=figures,
    )


# Keys whose values name files or articles rather than print.
_NAMES_A_FILE = frozenset(
    {"photo", "artwork", "articles", "lead", "lines", "after", "article", "lead_photo", "layout"}
)


def clean_strings(
    data: Any,
    path: Path,
    line_of: Callable[[Key], int | None],
    findings: list[Finding],
    key: Key = (),
) -> Any:
    """`data` (parsed TOML or YAML) with the characters XML forbids and terminals obey left
    out of every string, each with a warning; a word too long to lay out is an error."""
    if isinstance(data, dict):
        return {
            k: clean_strings(v, path, line_of, findings, (*key, str(k))) for k, v in data.items()
        }
    if isinstance(data, list):
        return [clean_strings(v, path, line_of, findings, (*key, i)) for i, v in enumerate(data)]
    if not isinstance(data, str) or _NAMES_A_FILE & set(map(str, key)):
        return data  # a path or slug with a control character is refused by its own check
    name = ".".join(str(k) for k in key) or "value"
    if has_controls(data):
        findings.append(
            Finding(
                f"'{name}' holds control characters; they are left out",
                Location(path, line_of(key)),
                "retype the text, or paste it as plain text",
                "text.control",
                Severity.WARNING,
            )
        )
        data = strip_controls(data)
    if (long := overlong_word(data)) is not None:
        findings.append(_long_word(name, long[1], Location(path, line_of(key))))
    return data


def _long_word(name: str, start: str, where: Location) -> Finding:
    return Finding(
        f"{name} has a word of more than {MAX_WORD} characters ('{start}'), too long to lay out",
        where,
        "break it with spaces or hyphens, or shorten it",
        "text.long-word",
    )


# What Markdown does not print: link targets and reference definitions.
_LINK_TARGET = re.compile(r"\]\([^)\s]*|^ {0,3}\[[^\]]+\]:\s*\S+", re.M)


def _clean_body(body: str, path: Path, first_line: int, findings: list[Finding]) -> str:
    """An article's text without control characters (a warning names the first line that
    had some); a word too long to lay out is an error that names its line."""
    if has_controls(body):
        bad = next(i for i, line in enumerate(body.split("\n")) if has_controls(line))
        findings.append(
            Finding(
                "the article's text holds control characters; they are left out",
                Location(path, first_line + bad),
                "retype the text, or paste it as plain text",
                "text.control",
                Severity.WARNING,
            )
        )
        body = strip_controls(body)
    printed = _LINK_TARGET.sub(lambda m: "]" if m.group().startswith("]") else "", body)
    if (long := overlong_word(printed)) is not None:
        line = first_line + printed[: long[0]].count("\n")
        findings.append(_long_word("the article's text", long[1], Location(path, line)))
    return body


@functools.lru_cache(maxsize=1024)
def _parsed(head: str) -> Any:
    """The YAML of a front matter (kept: a desk parses every article at every save)."""
    return yaml.load(head, Loader=FrontMatterLoader)


def _front_matter(head: str, path: Path, findings: list[Finding]) -> dict[str, Any] | None:
    try:
        data = copy.deepcopy(_parsed(head)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        findings.append(
            Finding(
                f"front matter is not valid YAML: {problem}",
                Location(path, line),
                "fix the YAML syntax; quote values that contain ':'",
                "front-matter.yaml",
            )
        )
        return None
    if not isinstance(data, dict):
        findings.append(
            Finding(
                "front matter must be 'key: value' lines",
                Location(path, 2),
                "write one 'key: value' per line",
                "front-matter.yaml",
            )
        )
        return None
    return data


def _body_photos(body: str, path: Path, first_line: int, reading: _Reading) -> dict[str, Photo]:
    """Every image of the body as the Markdown parser sees it, by the path written.

    Using the parser, not a pattern, matters: a reference-style image (`![x][r]` with
    `[r]: /elsewhere/photo.jpg`) must be checked like any other, or it reads a file
    from outside the issue into the PDF.
    """
    found: dict[str, Photo] = {}
    for src, offset in image_refs(body):
        if src in found:
            continue
        photo = reading.photo(src, Location(path, first_line + offset), "photo")
        if photo is not None:
            found[src] = photo
    return found


# --- the issue -------------------------------------------------------------------


def load_issue(root: Path) -> Issue:
    """Read and validate the issue folder `root`; raise EditionError with every problem found."""
    root = Path(root)
    if root.name in ("", ".", ".."):  # `edition build .`: the issue is named by its folder
        root = root.resolve()
    if pending(root):  # a collect was interrupted: finish or undo it before reading
        with contextlib.suppress(OSError, EditionError), folder_lock(root):
            recover(root)
    try:
        issue = _load_issue(root)
    except EditionError as exc:
        raise EditionError(one_line(exc.findings)) from None
    issue.warnings = one_line(issue.warnings)
    return issue


def _read_toml(root: Path) -> tuple[dict[str, Any], TomlLines]:
    toml_path = root / "issue.toml"
    if not root.is_dir():
        raise EditionError.single(
            "not an issue folder",
            root,
            None,
            "give the folder that holds issue.toml",
            "issue.missing",
        )
    findings: list[Finding] = []
    text = read_text(toml_path, findings, "issue.toml")
    if text is None:
        raise EditionError(findings)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg, line = toml_error(exc)
        raise EditionError.single(
            f"issue.toml is not valid TOML: {msg}",
            toml_path,
            line,
            "fix the TOML syntax",
            "issue.toml-syntax",
        ) from None
    except RecursionError:
        raise EditionError.single(
            "issue.toml is nested too deeply",
            toml_path,
            None,
            "an issue needs tables two or three levels deep",
            "issue.toml-syntax",
        ) from None
    return raw, TomlLines.scan(text)


def _load_issue(root: Path) -> Issue:
    toml_path = root / "issue.toml"
    raw, where = _read_toml(root)
    reading = _Reading(root)
    findings = reading.findings
    if not is_issue_id(root.name):
        findings.append(
            Finding(
                f"the folder name '{root.name}' cannot be an issue's id",
                Location(root),
                "name the issue folder with letters, digits, '-', '_' or '.' only, "
                "starting with a letter or digit (e.g. 2024-05)",
                "issue.id",
            )
        )
    raw = clean_strings(raw, toml_path, where.line, findings)
    spec: IssueSpec | None
    try:
        spec = IssueSpec.model_validate(raw)
        rubric_lists = [(r.name, r.articles) for r in spec.rubrics]
    except ValidationError as exc:
        # Go on with the articles, so that one bad key does not hide the other problems.
        findings.extend(pydantic_findings(exc, toml_path, where.line, IssueSpec, "issue"))
        spec = None
        rubric_lists = _raw_rubrics(raw)

    def loc(*key: str | int) -> Location:
        return Location(toml_path, where.line(key))

    articles, listed = _load_articles(root, rubric_lists, where, reading)
    if spec is None:
        reading.inspect_photos()
        raise EditionError(findings)
    _check_language(spec.language, loc("language"), findings)
    for path in sorted((root / "articles").glob("*.md")):
        if path.stem not in listed:
            findings.append(
                Finding(
                    f"article '{path.stem}' is not listed in any rubric",
                    Location(path),
                    "add its slug to a [[rubrics]] table in "
                    "issue.toml, or move the file out of articles/",
                    "issue.unlisted-article",
                    severity=Severity.WARNING,
                )
            )
    check_slug = _slug_checker({a.slug for a in articles} | listed, loc, findings)

    cover = None
    if spec.cover is not None:
        cover = reading.photo(
            spec.cover.photo,
            loc("cover", "photo"),
            "cover photo",
            caption=spec.cover.alt,
            credit=spec.cover.credit,
        )
        check_slug(spec.cover.lead, "cover", "lead")
        for slug in spec.cover.lines:
            check_slug(slug, "cover", "lines")
    inframe = []
    for i, item in enumerate(spec.inframe):
        photo = reading.photo(
            item.photo, loc("inframe", i, "photo"), "Inframe photo", item.caption, item.credit
        )
        if photo is not None:
            inframe.append(photo)
    # A news item's photo has the item's title as its caption (and alt text).
    news_photos = [
        reading.photo(news.photo, loc("news", i, "photo"), "news photo", news.title)
        if news.photo
        else None
        for i, news in enumerate(spec.news)
    ]
    for i, pop in enumerate(spec.popular):
        if pop.article is None and not pop.title:
            findings.append(
                Finding(
                    "popular item has neither 'title' nor 'article'",
                    loc("popular", i),
                    "give one of them",
                    "issue.popular",
                )
            )
        check_slug(pop.article, "popular", i, "article")
    ads = _load_ads(spec, loc, check_slug, reading)

    # A related title that is not an article of this issue is printed without a page number.
    for article in articles:
        if article.slug in article.meta.related:
            findings.append(
                Finding(
                    "an article cannot be related to itself",
                    Location(article.path),
                    "remove it from 'related'",
                    "front-matter.related-self",
                )
            )

    reading.inspect_photos()
    if any(f.severity == Severity.ERROR for f in findings):
        raise EditionError(findings)
    return Issue(
        root=root,
        spec=spec,
        articles=articles,
        cover=cover,
        inframe=inframe,
        ads=ads,
        news_photos=news_photos,
        warnings=findings,
    )


def _load_articles(
    root: Path, rubric_lists: list[tuple[str, list[str]]], where: TomlLines, reading: _Reading
) -> tuple[list[Article], set[str]]:
    """Each article listed once, each file present and valid; returns the articles and
    every slug listed."""
    toml_path = root / "issue.toml"
    findings = reading.findings
    articles: list[Article] = []
    seen: dict[str, Location] = {}
    for r, (rubric_name, slugs) in enumerate(rubric_lists):
        for n, slug in enumerate(slugs):
            line = where.value_line(("rubrics", r, "articles"), slug, slugs[:n].count(slug))
            here = Location(toml_path, line)
            if slug in seen:
                findings.append(
                    Finding(
                        f"article '{slug}' is listed twice (first at line {seen[slug].line})",
                        here,
                        "remove one of them",
                        "issue.duplicate-article",
                    )
                )
                continue
            seen[slug] = here
            path = _article_path(root, slug, here, findings)
            if path is None:
                continue
            article = load_article(path, slug, rubric_name, reading)
            if article is not None:
                articles.append(article)
    return articles, set(seen)


def _article_path(root: Path, slug: str, here: Location, findings: list[Finding]) -> Path | None:
    """articles/<slug>.md, or a finding that says why it cannot be read."""
    if impossible_name(f"{slug}.md"):
        findings.append(
            Finding(
                f"article '{slug}' is not a possible file name",
                here,
                "a slug is the name of a file in articles/, without '.md'",
                "path.invalid",
            )
        )
        return None
    path = inside(root / "articles", f"{slug}.md")
    if path is None and (root / "articles" / f"{slug}.md").is_file():
        findings.append(
            Finding(
                f"article '{slug}' is outside the articles folder",
                here,
                "use a file in articles/, not a link to one elsewhere or a slug with '..'",
                "path.outside",
            )
        )
        return None
    if path is not None and path.exists() and not path.is_file():
        findings.append(
            Finding(
                f"article '{slug}' is not a file",
                here,
                f"articles/{slug}.md is a folder or a device: make it a Markdown file",
                "issue.missing-article",
            )
        )
        return None
    if path is None or not path.is_file():
        close = difflib.get_close_matches(
            slug, [p.stem for p in (root / "articles").glob("*.md") if p.is_file()], n=1
        )
        hint = f"did you mean '{close[0]}'?" if close else f"create articles/{slug}.md"
        findings.append(
            Finding(f"article '{slug}' does not exist", here, hint, "issue.missing-article")
        )
        return None
    return path


def _slug_checker(
    slugs: set[str], loc: Callable[..., Location], findings: list[Finding]
) -> Callable[..., None]:
    def check_slug(value: str | None, *key: str | int) -> None:
        if value is not None and value not in slugs:
            close = difflib.get_close_matches(value, sorted(slugs), n=1)
            findings.append(
                Finding(
                    f"'{value}' is not an article of this issue",
                    loc(*key),
                    f"did you mean '{close[0]}'?"
                    if close
                    else "use the slug of an article listed in [[rubrics]]",
                    "issue.unknown-article",
                )
            )

    return check_slug


def _load_ads(
    spec: IssueSpec,
    loc: Callable[..., Location],
    check_slug: Callable[..., None],
    reading: _Reading,
) -> list[Ad]:
    """Each ad placed exactly one way that suits its size, one per cover slot."""
    findings = reading.findings
    ads = []
    for i, ad in enumerate(spec.ads):
        alt = f"Iklan {ad.advertiser}" if ad.advertiser else "Iklan"
        photo = reading.photo(
            ad.artwork, loc("ads", i, "artwork"), "ad artwork", alt, suffixes=AD_SUFFIXES
        )
        placements = [k for k in ("after", "slot", "article") if getattr(ad, k)]
        if len(placements) != 1:
            findings.append(
                Finding(
                    "ad needs exactly one of 'after', 'slot' or 'article'",
                    loc("ads", i),
                    "full pages take 'after' (a slug) or 'slot'; "
                    "half and quarter pages take 'article'",
                    "issue.ad-placement",
                )
            )
        elif ad.size == "full" and ad.article:
            findings.append(
                Finding(
                    "a full-page ad cannot sit on an article's page",
                    loc("ads", i, "article"),
                    "use 'after' or 'slot'",
                    "issue.ad-placement",
                )
            )
        elif ad.size != "full" and (ad.after or ad.slot):
            findings.append(
                Finding(
                    f"a {ad.size}-page ad is placed on an article's page",
                    loc("ads", i, placements[0]),
                    "use 'article' with the slug",
                    "issue.ad-placement",
                )
            )
        check_slug(ad.after, "ads", i, "after")
        check_slug(ad.article, "ads", i, "article")
        if photo is not None:
            ads.append(Ad(spec=ad, photo=photo, index=i))
    slots = [ad.slot for ad in spec.ads if ad.slot]
    for slot in {s for s in slots if slots.count(s) > 1}:
        findings.append(
            Finding(
                f"two ads are booked for the '{slot}' slot",
                loc("ads"),
                "keep one per slot",
                "issue.ad-slot-taken",
            )
        )
    return ads


def _check_language(language: str, where: Location, findings: list[Finding]) -> None:
    """Dates are printed in the issue's language: Babel must know it."""
    try:
        Locale.parse(language)
    except (ValueError, TypeError, UnknownLocaleError):
        findings.append(
            Finding(
                f"unknown language '{language}'",
                where,
                "use a language code such as 'id' or 'en', or 'id_ID' with a country",
                "issue.language",
            )
        )


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
