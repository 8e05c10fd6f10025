"""Collected articles into an issue: the article files and their slugs in issue.toml."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import tomlkit
from tomlkit.exceptions import ParseError as TomlParseError
from tomlkit.items import AoT, Array, InlineTable, Table

from edition.collect.article import CollectedArticle, collect_article, render_article_file
from edition.collect.source import read_source
from edition.errors import EditionError, Finding, Location
from edition.store.atomic import atomic_write_text

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


def collect_into(
    sources: list[str],
    issue_dir: Path,
    rubric: str | None = None,
    force: bool = False,
    stdin: BinaryIO | None = None,
) -> list[CollectedArticle]:
    """Collect every source into issue_dir/articles and the rubric's list in issue.toml.

    All sources are read and checked first; if anything is wrong, EditionError carries every
    finding and nothing is written.
    """
    rubric = rubric or DEFAULT_RUBRIC
    findings: list[Finding] = []
    toml_path = issue_dir / "issue.toml"
    doc: tomlkit.TOMLDocument | None = None
    if not toml_path.is_file():
        findings.append(
            Finding(
                "not an issue folder: issue.toml is missing",
                Location(issue_dir),
                "pass the issue folder with --into, e.g. --into issues/2024-05",
                "collect.not-issue",
            )
        )
    else:
        with open(toml_path, encoding="utf-8", newline="") as handle:
            toml_text = handle.read()
        try:
            doc = tomlkit.parse(toml_text)
        except TomlParseError as err:
            findings.append(
                Finding(
                    f"issue.toml is not valid TOML: {err}",
                    Location(toml_path, err.line),
                    "fix issue.toml first",
                    "collect.issue-toml",
                )
            )

    articles: list[CollectedArticle] = []
    for source in sources:
        try:
            data, name = read_source(source, stdin)
            articles.append(collect_article(data, name))
        except EditionError as err:
            findings.extend(err.findings)

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

    if doc is not None and articles:
        findings.extend(_add_to_rubric(doc, rubric, [a.slug for a in articles], toml_path))
    if findings:
        raise EditionError(findings)
    assert doc is not None

    (issue_dir / "articles").mkdir(exist_ok=True)
    for article in articles:
        atomic_write_text(
            issue_dir / "articles" / f"{article.slug}.md",
            render_article_file(article),
            keep_mode=True,
        )
    atomic_write_text(toml_path, tomlkit.dumps(doc), keep_mode=True)
    return articles
