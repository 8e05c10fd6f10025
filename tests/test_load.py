"""The loader: a valid issue loads; every kind of bad input is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from edition.errors import EditionError
from edition.issue.load import load_issue


def errors_of(root: Path) -> list[str]:
    with pytest.raises(EditionError) as info:
        load_issue(root)
    return [str(f).replace(str(root) + "/", "") for f in info.value.findings]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_minimal_issue_loads(make_issue):
    issue = load_issue(make_issue())
    assert [a.slug for a in issue.articles] == ["patroli-utara", "gudang-baru", "latihan-gabungan"]
    assert issue.articles[0].rubric == "Laporan Utama"
    assert issue.articles[0].lead is not None and issue.articles[0].lead.credit == "Fotografer Uji"
    assert [ad.size for ad in issue.ads] == ["full", "half"]
    assert issue.warnings == []


def test_unknown_front_matter_key_names_file_line_and_suggestion(make_issue):
    root = make_issue()
    edit(root / "articles/gudang-baru.md", "author:", "auhtor:")
    assert errors_of(root) == [
        "articles/gudang-baru.md:3: error: unknown key 'auhtor' (did you mean 'author'?) "
        "[front-matter.unknown-key]"
    ]


def test_missing_title(make_issue):
    root = make_issue()
    edit(
        root / "articles/gudang-baru.md",
        'title: "Gudang Bahan Bakar Baru di Pelabuhan Kecil"\n',
        "",
    )
    assert errors_of(root) == [
        "articles/gudang-baru.md:1: error: missing key 'title' (add 'title') "
        "[front-matter.missing-key]"
    ]


def test_date_that_is_not_a_date(make_issue):
    root = make_issue()
    edit(root / "articles/gudang-baru.md", "date: 2024-05-12", "date: 2024-13-45")
    assert errors_of(root) == [
        "articles/gudang-baru.md:4: error: 'date' is not a date: '2024-13-45' "
        "(write it as YYYY-MM-DD) [front-matter.bad-date]"
    ]


def test_issue_date_that_is_not_a_date(make_issue):
    root = make_issue()
    edit(root / "issue.toml", "date = 2024-05-19", 'date = "19 Mei"')
    assert errors_of(root) == [
        "issue.toml:3: error: 'date' is not a date: '19 Mei' (write it as YYYY-MM-DD) "
        "[issue.bad-date]"
    ]


def test_missing_photo(make_issue):
    root = make_issue()
    edit(root / "articles/gudang-baru.md", "photos/lead-b.jpg", "photos/lead-c.jpg")
    assert errors_of(root) == [
        "articles/gudang-baru.md:6: error: lead photo 'photos/lead-c.jpg' does not exist "
        "(did you mean 'photos/lead-b.jpg'?) [path.missing]"
    ]


def test_missing_article(make_issue):
    root = make_issue()
    edit(root / "issue.toml", 'articles = ["gudang-baru"', 'articles = ["gudang-bar"')
    found = errors_of(root)
    assert (
        "issue.toml:20: error: article 'gudang-bar' does not exist "
        "(did you mean 'gudang-baru'?) [issue.missing-article]"
    ) in found


def test_article_listed_twice(make_issue):
    root = make_issue()
    edit(
        root / "issue.toml",
        'articles = ["patroli-utara"]',
        'articles = ["patroli-utara",\n  "patroli-utara"]',
    )
    assert errors_of(root) == [
        "issue.toml:17: error: article 'patroli-utara' is listed twice (first at line 16) "
        "(remove one of them) [issue.duplicate-article]"
    ]


def test_unknown_ad_size(make_issue):
    root = make_issue()
    edit(root / "issue.toml", 'size = "half"', 'size = "third"')
    assert errors_of(root) == [
        "issue.toml:65: error: 'ads.1.size' cannot be 'third' "
        "(use one of 'full', 'half' or 'quarter') [issue.bad-value]"
    ]


def test_unknown_issue_key(make_issue):
    root = make_issue()
    edit(root / "issue.toml", "price =", "prize =")
    assert errors_of(root) == [
        "issue.toml:6: error: unknown key 'prize' (did you mean 'price'?) [issue.unknown-key]"
    ]


def test_all_problems_reported_at_once(make_issue):
    root = make_issue()
    edit(root / "articles/gudang-baru.md", "author:", "auhtor:")
    edit(root / "articles/latihan-gabungan.md", "date: 2024-05-14", "date: kemarin")
    edit(root / "issue.toml", "photos/inframe-2.jpg", "photos/inframe-9.jpg")
    found = errors_of(root)
    assert len(found) == 3
    assert {f.split(":")[0] for f in found} == {
        "articles/gudang-baru.md",
        "articles/latihan-gabungan.md",
        "issue.toml",
    }


def test_malformed_toml_names_line(make_issue):
    root = make_issue()
    edit(root / "issue.toml", "number = 7", "number = = 7")
    (found,) = errors_of(root)
    assert found.startswith("issue.toml:2: error: issue.toml is not valid TOML")


def test_malformed_yaml_names_line(make_issue):
    root = make_issue()
    edit(root / "articles/gudang-baru.md", 'author: "Budi Santoso"', "author: Budi: Santoso")
    (found,) = errors_of(root)
    assert found.startswith("articles/gudang-baru.md:3: error: front matter is not valid YAML")


def test_non_utf8_article(make_issue):
    root = make_issue()
    path = root / "articles/gudang-baru.md"
    path.write_bytes(path.read_bytes().replace(b"Gudang", b"Gud\xe4ng", 1))
    assert errors_of(root) == [
        "articles/gudang-baru.md:2: error: article is not UTF-8 text (byte 0xe4) "
        "(save the file as UTF-8) [file.encoding]"
    ]


def test_photo_outside_issue_refused(make_issue):
    root = make_issue()
    edit(root / "articles/gudang-baru.md", "photos/lead-b.jpg", "../../etc/passwd.jpg")
    (found,) = errors_of(root)
    assert "is outside the issue folder" in found and found.startswith("articles/gudang-baru.md:6:")


def test_unlisted_article_is_a_warning(make_issue):
    root = make_issue()
    (root / "articles/lupa.md").write_text('---\ntitle: "Lupa"\n---\nTeks.\n')
    issue = load_issue(root)
    assert [str(w).replace(str(root) + "/", "") for w in issue.warnings] == [
        "articles/lupa.md: warning: article 'lupa' is not listed in any rubric (add its slug to "
        "a [[rubrics]] table in issue.toml, or move the file out of articles/) "
        "[issue.unlisted-article]"
    ]


def test_sample_edition_loads():
    from conftest import SAMPLE

    issue = load_issue(SAMPLE)
    assert len(issue.articles) >= 8
    assert len({a.rubric for a in issue.articles}) >= 3
    assert len(issue.inframe) >= 6
    assert len(issue.spec.news) >= 6 and len(issue.spec.popular) >= 5
    assert len({ad.size for ad in issue.ads}) >= 3
