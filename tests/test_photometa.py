"""Captions and credits read from the photo (IPTC, XMP) where the issue gives none."""

from __future__ import annotations

import io
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import invoke
from PIL import Image

from edition.issue.load import load_issue
from edition.issue.photometa import photo_text
from edition.layout.load import load_layout
from edition.plan.plan import plan_issue

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"{credit_attr}>'
    '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt>'
    "</dc:description><dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>"
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def xmp_jpeg(
    path: Path,
    caption: str,
    creator: str,
    credit: str | None = None,
    size: tuple[int, int] = (60, 40),
) -> Path:
    attr = f' photoshop:Credit="{credit}"' if credit else ""
    packet = XMP.format(caption=caption, creator=creator, credit_attr=attr)
    Image.new("RGB", size, (30, 90, 160)).save(path, "JPEG", xmp=packet.encode())
    return path


def iptc_jpeg(path: Path, records: dict[int, str], size: tuple[int, int] = (60, 40)) -> Path:
    """A JPEG with an APP13 Photoshop segment holding IPTC IIM records, as cameras and
    agency software write them."""
    iim = b"".join(
        b"\x1c\x02" + bytes([tag]) + struct.pack(">H", len(v.encode())) + v.encode()
        for tag, v in records.items()
    )
    resource = (
        b"8BIM"
        + struct.pack(">H", 0x0404)
        + b"\x00\x00"
        + struct.pack(">I", len(iim))
        + iim
        + (b"\x00" if len(iim) % 2 else b"")
    )
    app13 = b"Photoshop 3.0\x00" + resource
    buf = io.BytesIO()
    Image.new("RGB", size, (160, 90, 30)).save(buf, "JPEG")
    data = buf.getvalue()
    path.write_bytes(data[:2] + b"\xff\xed" + struct.pack(">H", len(app13) + 2) + app13 + data[2:])
    return path


def test_xmp_caption_and_creator(tmp_path: Path):
    text = photo_text(xmp_jpeg(tmp_path / "a.jpg", "KRI Bung Tomo di Selat Lombok", "Rina"))
    assert text.caption == "KRI Bung Tomo di Selat Lombok"
    assert text.credit == "Rina"


def test_xmp_photoshop_credit_wins_over_creator(tmp_path: Path):
    text = photo_text(xmp_jpeg(tmp_path / "a.jpg", "Latihan", "Rina", credit="Antara"))
    assert text.credit == "Antara"


def test_iptc_caption_credit_and_byline(tmp_path: Path):
    both = iptc_jpeg(
        tmp_path / "a.jpg", {120: "Prajurit di pos Entikong", 80: "Dimas", 110: "Kantor Berita"}
    )
    assert photo_text(both) == photo_text(both)  # cached, same answer
    assert photo_text(both).caption == "Prajurit di pos Entikong"
    assert photo_text(both).credit == "Kantor Berita"
    byline = iptc_jpeg(tmp_path / "b.jpg", {120: "Sungai Kapuas", 80: "Dimas"})
    assert photo_text(byline).credit == "Dimas"


def test_no_metadata_and_hostile_xmp_give_nothing(tmp_path: Path):
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (10, 10)).save(plain)
    assert photo_text(plain).caption is None and photo_text(plain).credit is None
    evil = tmp_path / "evil.jpg"
    packet = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' + XMP.format(
        caption="&b;", creator="x", credit_attr=""
    )
    Image.new("RGB", (10, 10)).save(evil, "JPEG", xmp=packet.encode())
    assert photo_text(evil).caption is None
    assert photo_text(tmp_path / "missing.jpg").caption is None


@pytest.fixture
def issue_with_tagged_photo(make_issue) -> Path:
    root = make_issue()
    toml = root / "issue.toml"
    text = toml.read_text()
    # The second Inframe photo loses its caption and credit in the issue...
    text = text.replace(
        'caption = "Warna hangat senja dalam bingkai tegak."\ncredit = "Fotografer Uji"\n', ""
    )
    toml.write_text(text)
    # ... and carries them in its own XMP instead (same size as the fixture's photo).
    with Image.open(root / "photos" / "inframe-2.jpg") as img:
        size = img.size
    xmp_jpeg(
        root / "photos" / "inframe-2.jpg",
        "Senja di dermaga Tanjung Priok",
        "Laras Wening",
        size=size,
    )
    return root


def test_plan_takes_caption_from_the_photo_only_when_the_issue_has_none(
    issue_with_tagged_photo: Path,
):
    issue = load_issue(issue_with_tagged_photo)
    plan = plan_issue(issue, load_layout(issue.spec.layout, issue.root))
    slots = {s.request.source.name: s for s in plan.slots}
    assert slots["inframe-2.jpg"].caption == "Senja di dermaga Tanjung Priok"
    assert slots["inframe-2.jpg"].credit == "Laras Wening"
    # The first keeps the issue's own caption: an explicit caption wins.
    assert slots["inframe-1.jpg"].caption == "Bentang alam hijau di bawah langit cerah."


def test_explicit_caption_wins_over_the_file(make_issue):
    root = make_issue()
    with Image.open(root / "photos" / "inframe-1.jpg") as img:
        size = img.size
    xmp_jpeg(root / "photos" / "inframe-1.jpg", "Teks dari berkas", "Orang Lain", size=size)
    issue = load_issue(root)
    plan = plan_issue(issue, load_layout(issue.spec.layout, issue.root))
    slot = next(s for s in plan.slots if s.request.source.name == "inframe-1.jpg")
    assert slot.caption == "Bentang alam hijau di bawah langit cerah."
    assert slot.credit == "Fotografer Uji"


@pytest.mark.slow
def test_caption_from_the_photo_is_printed(issue_with_tagged_photo: Path, tmp_path: Path):
    out = tmp_path / "dist"
    invoke(["build", issue_with_tagged_photo, "--out", out, "--profile", "screen"], exit_code=1)
    pdf = out / issue_with_tagged_photo.name / f"{issue_with_tagged_photo.name}-screen.pdf"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Senja di dermaga Tanjung Priok" in " ".join(text.split())
    assert "LARASWENING" in "".join(text.upper().split())  # credits are letter-spaced
