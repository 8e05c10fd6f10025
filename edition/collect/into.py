"""Collected articles into an issue: the article files and their slugs in issue.toml."""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import tomlkit
from tomlkit.exceptions import ParseError as TomlParseError
from tomlkit.items import AoT, Array, InlineTable, Table

from edition.collect.article import CollectedArticle, collect_article, render_article_file
from edition.collect.source import read_source
from edition.errors import EditionError, Finding, Location
from edition.store.transaction import commit_files, folder_lock, recover

DEFAULT_RUBRIC = "Berita"


def _add_to_rubric(
    doc: tomlkit.TOMLDocument, rubric: str, slugs: Sequence[str], toml_path: Path
) -> list[Finding]:
    def problem(message: str) -> list[Finding]:
        return [
            Finding(
                message, Location(toml_path), "fix issue.toml by hand first", "collect.issue-toml"
            )
        ]

    rubrics = doc.get("rubrics")
    if rubrics is None:
        table = tomlkit.table()
        table["name"] = rubric
        table["articles"] = tomlkit.array()
        doc.append("rubrics", tomlkit.aot())
        doc["rubrics"].append(table)
        rubrics = doc["rubrics"]
    if not isinstance(rubrics, (AoT, Array)):
        return problem("'rubrics' is not an array of tables")
    entry: Table | InlineTable | None = None
    for item in rubrics:
        if not isinstance(item, (Table, InlineTable)):
            return problem("'rubrics' holds something that is not a table")
        if item.get("name") == rubric:
            entry = item
            break
    if entry is None:
        if isinstance(rubrics, AoT):
            entry = tomlkit.table()
            entry["name"] = rubric
            entry["articles"] = tomlkit.array()
            entry.add(tomlkit.nl())
        else:
            entry = tomlkit.inline_table()
            entry["name"] = rubric
            entry["articles"] = tomlkit.array()
        rubrics.append(entry)
        entry = rubrics[-1]
    articles = entry.get("articles")
    if articles is None:
        entry["articles"] = tomlkit.array()
        articles = entry["articles"]
    if not isinstance(articles, Array):
        return problem(f"'articles' of rubric '{rubric}' is not an array")
    everywhere = {str(s) for item in rubrics for s in (item.get("articles") or [])}
    for slug in slugs:
        if slug not in everywhere:
            articles.append(slug)
            everywhere.add(slug)
    return []


def _read_issue_toml(toml_path: Path, findings: list[Finding]) -> _TomlFile | None:
    """issue.toml as tomlkit edits it, read the way `build` reads it (UTF-8, with or without
    a byte-order mark, LF or CRLF), or None with a finding that says why not."""
    try:
        data = toml_path.read_bytes()
    except OSError as exc:
        findings.append(
            Finding(
                f"cannot read issue.toml: {exc.strerror or exc}",
                Location(toml_path),
                "check the file's permissions",
                "collect.issue-toml",
            )
        )
        return None
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        findings.append(
            Finding(
                f"issue.toml is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                Location(toml_path, data[: exc.start].count(b"\n") + 1),
                "save issue.toml as UTF-8",
                "collect.issue-toml",
            )
        )
        return None
    crlf = "\r\n" in text
    try:
        doc = tomlkit.parse(text.replace("\r\n", "\n"))
    except TomlParseError as err:
        findings.append(
            Finding(
                f"issue.toml is not valid TOML: {err}",
                Location(toml_path, err.line),
                "fix issue.toml first",
                "collect.issue-toml",
            )
        )
        return None
    except RecursionError:
        findings.append(
            Finding(
                "issue.toml is nested too deeply",
                Location(toml_path),
                "an issue needs tables two or three levels deep",
                "collect.issue-toml",
            )
        )
        return None
    return _TomlFile(doc, bom, crlf)


@dataclass
class _TomlFile:
    doc: tomlkit.TOMLDocument
    bom: bool
    crlf: bool

    def dumps(self) -> bytes:
        """The edited file with the byte-order mark and line ends it had."""
        text = tomlkit.dumps(self.doc)
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode("utf-8")


def collect_into(
    sources: list[str],
    issue_dir: Path,
    rubric: str | None = None,
    force: bool = False,
    stdin: BinaryIO | None = None,
    on_wait: Callable[[str], None] = lambda _: None,
) -> list[CollectedArticle]:
    """Collect every source into issue_dir/articles and the rubric's list in issue.toml.

    All sources are read and checked first; if anything is wrong, EditionError carries every
    finding and nothing is written. The articles and issue.toml are then changed together,
    under the issue's lock, all or nothing (see edition.store.transaction): two collects
    into one issue take turns, and one that is killed leaves no article unlisted.
    """
    rubric = rubric or DEFAULT_RUBRIC
    findings: list[Finding] = []
    toml_path = issue_dir / "issue.toml"
    if not toml_path.is_file():
        findings.append(
            Finding(
                "not an issue folder: issue.toml is missing",
                Location(issue_dir),
                "pass the issue folder with --into, e.g. --into issues/2024-05",
                "collect.not-issue",
            )
        )

    articles: list[CollectedArticle] = []
    for source in sources:
        try:
            data, name = read_source(source, stdin)
            articles.append(collect_article(data, name))
        except EditionError as err:
            findings.extend(err.findings)
    if findings:
        raise EditionError(findings)

    with folder_lock(issue_dir, on_wait):
        recover(issue_dir)
        toml = _read_issue_toml(toml_path, findings)
        targets: dict[str, CollectedArticle] = {}
        for article in articles:
            target = issue_dir / "articles" / f"{article.slug}.md"
            if article.slug in targets:
                findings.append(
                    Finding(
                        f"two sources give the same article '{article.slug}' "
                        f"(also from {targets[article.slug].source})",
                        Location(Path(article.source)),
                        "collect them one at a time",
                        "collect.duplicate",
                    )
                )
                continue
            targets[article.slug] = article
            if target.exists() and not force:
                findings.append(
                    Finding(
                        f"article '{article.slug}' already exists",
                        Location(target),
                        "use --force to overwrite it",
                        "collect.exists",
                    )
                )
        if toml is not None and articles:
            findings.extend(_add_to_rubric(toml.doc, rubric, [a.slug for a in articles], toml_path))
        if findings:
            raise EditionError(findings)
        assert toml is not None
        updated = toml.dumps()
        try:
            tomllib.loads(updated.decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, RecursionError):
            raise EditionError.single(
                "issue.toml cannot be updated without breaking it",
                toml_path,
                None,
                "add the articles to issue.toml by hand",
                "collect.issue-toml",
            ) from None
        files: dict[Path, bytes] = {
            issue_dir / "articles" / f"{a.slug}.md": render_article_file(a).encode("utf-8")
            for a in articles
        }
        files[toml_path] = updated  # last: it lists the others
        modes = {path: _mode(path) for path in files}
        commit_files(issue_dir, files, modes)
    return articles


def _mode(path: Path) -> int:
    """The mode a replaced file keeps (a new one is readable by all)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644
