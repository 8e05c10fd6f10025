"""Write a synthetic, deterministic issue folder for benchmarks: 16 articles, 32 camera-size photos.

    .venv/bin/python bench/make_issue.py OUT_DIR [--seed N] [--articles 16] [--photos 32]
                                         [--words 1200] [--force]

The folder is in edition's own format (README.md, "The issue folder") and passes
`edition check`: issue.toml with a cover, four rubrics, Berita Terbaru, six Inframe
photos, Populer, the Redaksi box and three ads; ARTICLES articles of about WORDS words of
Indonesian-looking text (real Indonesian words of the defence, maritime and industry
register, put together by a grammar of a few sentence shapes: it reads like Indonesian to
the hyphenator and the line breaker, not to a reader); PHOTOS photos of 6000 x 4000 px
(the cover and one Inframe photo upright, 4000 x 6000) with sensor-like grain, 3-8 MB
each as JPEG; ad artwork at the sizes of issues/2024-05/ads.

Everything comes from `random.Random(seed)`: the same seed gives byte-identical files
(with the same Pillow and libjpeg). OUT_DIR's name is the issue's id; it must be empty
or absent (`--force` empties it first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

REPO = Path(__file__).resolve().parent.parent

PHOTO_SIZE = (6000, 4000)
JPEG_QUALITY = 90
# The artwork sizes of issues/2024-05/ads (300 dpi for a bleed page, half and quarter ads).
AD_SIZES = {"full": (2551, 3579), "half": (2114, 1512), "quarter": (670, 1417)}
RUBRICS = ["Laporan Utama", "Industri Pertahanan", "Internasional", "Lapangan"]
ISSUE_NUMBER = 143
ISSUE_DATE = dt.date(2024, 6, 16)

# --- the vocabulary -------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Whitespace-separated words; `_` joins the words of one entry (`suku_cadang`)."""
    return [w.replace("_", " ") for w in text.split()]


# Nouns, and the heads of noun phrases (a noun phrase is a head, maybe a second noun and
# maybe a modifier: "pengadaan kapal patroli terpadu").
NOUNS = _words("""
pertahanan keamanan kedaulatan wilayah perairan perbatasan kapal armada pangkalan galangan
industri teknologi pesawat helikopter radar rudal amunisi senjata prajurit perwira awak
komandan pasukan satuan anggaran pengadaan kontrak produksi komponen mesin kemandirian
latihan operasi patroli pengawasan pemerintah kementerian lembaga negara kawasan pulau laut
pantai pelabuhan nelayan masyarakat ancaman tantangan kebijakan strategi doktrin kemampuan
kesiapan pemeliharaan perawatan pabrik pemasok mitra investasi ekspor sistem jaringan
satelit sensor cuaca gelombang musim jalur logistik dermaga lambung baterai propulsi
navigasi komunikasi pengembangan penelitian keberlanjutan kesinambungan kandungan
sertifikasi pengujian perakitan pengiriman koordinasi informasi pemantauan penindakan
penegakan infrastruktur keterampilan pendidikan pelatihan penerbangan pelayaran
diplomasi perundingan kesepakatan kerja_sama perjanjian pertumbuhan kebutuhan persediaan peralatan
kendaraan meriam torpedo fregat korvet tanker hanggar landasan bengkel insinyur teknisi
peneliti akademisi pengamat pejabat direktur
""")

# Nouns that follow another one ("kapal PATROLI", "industri GALANGAN").
SECOND = _words("""
patroli perang selam galangan pertahanan perikanan logistik angkut latih intai tempur
pengawas amunisi radar darat laut udara pantai perbatasan bahan_bakar suku_cadang
dalam_negeri
""")

MODIFIERS = _words("""
nasional strategis terpadu modern mandiri canggih terluar maritim regional internasional
baru utama berkelanjutan militer sipil taktis operasional bersama lokal terbatas menyeluruh
berkala cepat ringan berat terpencil andal efisien
""")

VERBS = _words("""
memperkuat meningkatkan mengembangkan membangun menjaga mengamankan mengawasi memproduksi
merawat menguji melatih mengoperasikan mengintegrasikan menyiapkan memastikan menyusun
mengirim menerima menandatangani membutuhkan memanfaatkan menghadapi mengurangi menambah
memodernisasi mengadopsi merancang mengevaluasi menyerahkan memperpanjang memperluas
menggandeng mempercepat menargetkan mengalokasikan menyelesaikan mendorong mengandalkan
""")

INTRANSITIVE = _words("""
berlayar beroperasi berlatih bersiaga bertugas berkembang berpatroli berpangkalan
bersandar bekerja bergerak bertahan
""")

PASSIVE = _words("""
diuji dirakit dikirim dibangun dirancang diperkirakan ditargetkan dijadwalkan disepakati
diserahkan dioperasikan dikembangkan diperbarui dievaluasi
""")

TIMES = [
    "kini",
    "selama ini",
    "dalam beberapa tahun terakhir",
    "sejak awal tahun",
    "pada akhir bulan lalu",
    "tahun depan",
    "secara bertahap",
    "hingga saat ini",
    "dalam waktu dekat",
    "pada musim angin utara",
    "menjelang akhir tahun",
    "sejak dekade lalu",
    "dalam lima tahun ke depan",
]

CONNECTORS = [
    "Namun",
    "Selain itu",
    "Di sisi lain",
    "Karena itu",
    "Meski demikian",
    "Sementara itu",
    "Dengan demikian",
    "Pada saat yang sama",
    "Sebelumnya",
    "Dalam praktiknya",
    "Menurut para pengamat",
    "Bagi industri dalam negeri",
]

SUBORDINATORS = ["sehingga", "karena", "agar", "sementara", "meskipun", "ketika", "setelah"]

PLACES = [
    "Natuna",
    "Surabaya",
    "Jakarta",
    "Bandung",
    "Makassar",
    "Batam",
    "Ambon",
    "Kupang",
    "Sorong",
    "Bitung",
    "Lampung",
    "Pontianak",
    "Tarakan",
    "Merauke",
    "Jayapura",
    "Selat Malaka",
    "Laut Sulawesi",
    "Laut Arafura",
    "Selat Sunda",
    "Laut Natuna Utara",
    "Teluk Jakarta",
    "Selat Makassar",
    "Laut Banda",
    "Cilegon",
    "Madiun",
    "Balikpapan",
]

FIRST_NAMES = [
    "Hendra",
    "Wahyu",
    "Samuel",
    "Dimas",
    "Ratna",
    "Arif",
    "Bayu",
    "Puspita",
    "Galih",
    "Anindya",
    "Yosef",
    "Nur",
    "Rizky",
    "Fadli",
    "Sekar",
    "Bagus",
    "Lintang",
    "Hendro",
    "Wulan",
    "Arman",
    "Yudha",
    "Joko",
    "Rahadian",
    "Satya",
    "Wisnu",
    "Made",
    "Ketut",
    "Andi",
    "Ahmad",
    "Siti",
    "Dewi",
    "Agus",
    "Budi",
    "Citra",
    "Eko",
    "Fajar",
    "Gita",
]
LAST_NAMES = [
    "Saputro",
    "Kurniadi",
    "Pardede",
    "Prasetyo",
    "Kusumaningrum",
    "Nugraha",
    "Wicaksana",
    "Larasati",
    "Pramudya",
    "Lamahoda",
    "Harahap",
    "Ayuningtyas",
    "Wicaksono",
    "Pramesti",
    "Susilo",
    "Siregar",
    "Pranata",
    "Santosa",
    "Syah",
    "Adinegara",
    "Adiguna",
    "Suardana",
    "Mattalatta",
    "Hidayat",
    "Rahmawati",
    "Setiawan",
    "Simanjuntak",
    "Manurung",
    "Wibowo",
]
RANKS = [
    "Kolonel Laut (P)",
    "Letnan Kolonel Inf.",
    "Mayor Pnb",
    "Laksamana Pertama TNI",
    "Marsekal Pertama TNI",
    "Brigadir Jenderal TNI",
    "Kolonel Laut (T)",
    "Kapten Laut (P)",
]
ROLES = [
    "komandan satuan tugas patroli",
    "perwira operasi pangkalan",
    "direktur produksi {co}",
    "peneliti pertahanan dari Universitas {place}",
    "pengamat militer",
    "kepala galangan {co}",
    "pejabat Kementerian Pertahanan",
    "manajer program {co}",
    "nakhoda kapal pengawas",
    "insinyur senior {co}",
]
COMPANIES = [
    "PT Samudra Baja Nusantara",
    "PT Garuda Dirgantara Teknik",
    "PT Karya Presisi Amunisi",
    "PT Bahari Galangan Timur",
    "PT Cakra Elektronika Pertahanan",
    "PT Nusa Propulsi Mandiri",
]
FOREIGN = [
    "Jepang",
    "Korea Selatan",
    "Prancis",
    "Turki",
    "India",
    "Australia",
    "Italia",
    "Singapura",
    "Malaysia",
    "Filipina",
    "Vietnam",
    "Belanda",
]
SMALL = {"di", "ke", "dari", "yang", "dan", "untuk", "dalam", "demi", "pada", "atau"}


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    words = text.split()
    return " ".join(
        w if (i and w in SMALL) or w[:1].isupper() else cap(w) for i, w in enumerate(words)
    )


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:6])[:60].strip("-")


class Writer:
    """Indonesian-looking prose from a seeded random source."""

    def __init__(self, rnd: random.Random) -> None:
        self.r = rnd

    def pick(self, seq: list[str]) -> str:
        return self.r.choice(seq)

    def person(self) -> str:
        return f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}"

    def speaker(self) -> str:
        if self.r.random() < 0.5:
            return f"{self.pick(RANKS)} {self.person()}, {self.role()}"
        return f"{self.person()}, {self.role()}"

    def role(self) -> str:
        return self.pick(ROLES).format(co=self.pick(COMPANIES), place=self.pick(PLACES))

    def noun_phrase(self) -> str:
        words = [self.pick(NOUNS)]
        if self.r.random() < 0.45:
            words.append(self.pick(SECOND))
        if self.r.random() < 0.4:
            words.append(self.pick(MODIFIERS))
        return " ".join(words)

    def place_phrase(self) -> str:
        prep = self.pick(["di", "di", "dari", "ke", "di sekitar", "di perairan", "di wilayah"])
        return f"{prep} {self.pick(PLACES)}"

    def number_phrase(self) -> str:
        r = self.r
        return self.pick(
            [
                f"sekitar {r.randrange(12, 80)} persen",
                f"Rp {r.randrange(1, 9)},{r.randrange(1, 9)} triliun",
                f"{r.randrange(2, 24)} unit",
                f"{r.randrange(18, 36)} knot",
                f"{r.randrange(120, 900)} prajurit",
                f"{r.randrange(3, 14)} tahun",
            ]
        )

    def clause(self) -> str:
        """Subject + predicate, lowercase, no full stop."""
        r = self.r
        shape = r.randrange(6)
        subj = self.noun_phrase()
        if shape == 0:
            out = f"{subj} {self.pick(VERBS)} {self.noun_phrase()}"
        elif shape == 1:
            out = (
                f"{subj} yang {self.pick(INTRANSITIVE)} {self.place_phrase()} "
                f"{self.pick(VERBS)} {self.noun_phrase()}"
            )
        elif shape == 2:
            out = (
                f"{subj} {self.pick(PASSIVE)} {self.pick(['untuk', 'demi', 'bagi'])} "
                f"{self.noun_phrase()}"
            )
        elif shape == 3:
            out = (
                f"{subj} {self.pick(INTRANSITIVE)} {self.place_phrase()} "
                f"{self.pick(['bersama', 'dengan', 'tanpa'])} {self.noun_phrase()}"
            )
        elif shape == 4:
            out = (
                f"{subj} {self.pick(['mencapai', 'menelan', 'menambah', 'melibatkan'])} "
                f"{self.number_phrase()}"
            )
        else:
            out = (
                f"{subj} {self.pick(VERBS)} {self.noun_phrase()} "
                f"{self.pick(['dari', 'dengan', 'bersama'])} {self.pick(FOREIGN)}"
            )
        if r.random() < 0.35:
            out += " " + self.place_phrase()
        if r.random() < 0.3:
            out += " " + self.pick(TIMES)
        return out

    def sentence(self) -> str:
        r = self.r
        shape = r.random()
        if shape < 0.12:
            verb = self.pick(["kata", "ujar", "tutur", "jelas"])
            return f"\u201c{cap(self.clause())},\u201d {verb} {self.speaker()}."
        if shape < 0.2:
            return f"Menurut {self.person()}, {self.clause()}."
        if shape < 0.42:
            return f"{self.pick(CONNECTORS)}, {self.clause()}."
        if shape < 0.62:
            return f"{cap(self.clause())}, {self.pick(SUBORDINATORS)} {self.clause()}."
        if shape < 0.7:
            return (
                f"{cap(self.clause())}: {self.noun_phrase()}, {self.noun_phrase()}, "
                f"dan {self.noun_phrase()}."
            )
        return f"{cap(self.clause())}."

    def paragraph(self, words: int) -> str:
        out: list[str] = []
        n = 0
        while n < words:
            s = self.sentence()
            if self.r.random() < 0.06:  # a term in italics, as the magazine sets foreign words
                s = s.replace(" sistem ", " sistem *combat management* ", 1)
            out.append(s)
            n += len(s.split())
        return " ".join(out)

    def headline(self) -> str:
        r = self.r
        shape = r.randrange(4)
        if shape == 0:
            text = f"{self.pick(VERBS)} {self.noun_phrase()} {self.place_phrase()}"
        elif shape == 1:
            text = f"{self.noun_phrase()} menuju {self.pick(NOUNS)} {self.pick(MODIFIERS)}"
        elif shape == 2:
            text = (
                f"{self.pick(NOUNS)} {self.pick(SECOND)} {self.pick(PASSIVE)} {self.place_phrase()}"
            )
        else:
            text = f"{self.noun_phrase()}, {self.noun_phrase()}"
        words = text.split()[:9]
        return title_case(" ".join(words))

    def caption(self) -> str:
        scene = self.pick(
            [
                "Kapal patroli berlayar",
                "Prajurit bersiaga",
                "Teknisi memeriksa mesin",
                "Helikopter mendarat",
                "Awak kapal berlatih",
                "Kendaraan taktis bergerak",
                "Pesawat angkut bersiap",
                "Lambung kapal dirakit",
            ]
        )
        when = self.pick(
            [
                "saat senja",
                "pada pagi hari",
                "di tengah hujan",
                "menjelang malam",
                "di bawah langit mendung",
            ]
        )
        return f"{scene} {self.place_phrase()} {when}, {self.clause()}."


def article_body(w: Writer, words: int, figure: str | None) -> tuple[str, str]:
    """Markdown body of about `words` words with a few `##` subheads; and a pullquote."""
    r = w.r
    parts: list[str] = []
    n = 0
    paragraphs = 0
    heads = 0
    while n < words:
        if (
            paragraphs >= 3
            and paragraphs % r.randrange(4, 6) == 0
            and heads < 4
            and words - n > 200
        ):
            parts.append("## " + title_case(" ".join(w.headline().split()[:5])))
            heads += 1
        p = w.paragraph(r.randrange(60, 115))
        parts.append(p)
        paragraphs += 1
        n += len(p.split())
        if figure and paragraphs == 4:
            parts.append(f'![{w.caption()}]({figure} "{w.person()}")')
    candidates = [
        s
        for p in parts
        if not p.startswith(("#", "!"))
        for s in re.split(r"(?<=\.) ", p)
        if 10 <= len(s.split()) <= 22 and "\u201c" not in s and "*" not in s
    ]
    pullquote = r.choice(candidates) if candidates else w.sentence()
    return "\n\n".join(parts) + "\n", pullquote


def q(value: str) -> str:
    """A string as a TOML basic string / YAML double-quoted scalar (both take JSON's)."""
    return json.dumps(value, ensure_ascii=False)


# --- pictures ----------------------------------------------------------------------------


def _amp(im: Image.Image, a: int) -> Image.Image:
    """Uniform bytes -> values around 128 with amplitude `a`."""
    return im.point(lambda v: 128 + (v - 128) * a // 128)


def make_photo(job: tuple[str, int, tuple[int, int], int]) -> tuple[str, int]:
    """A camera-like JPEG: sky and land or sea, silhouettes, texture, sensor grain, slight
    blur. Only Pillow's C operations on whole images; `seed` decides every pixel."""
    path, seed, (w, h), grain = job
    rnd = random.Random(seed)
    top = tuple(rnd.randrange(a, b) for a, b in ((60, 140), (100, 170), (150, 220)))
    low = tuple(rnd.randrange(a, b) for a, b in ((170, 240), (170, 225), (150, 210)))
    img = ImageOps.colorize(Image.linear_gradient("L").resize((w, h)), top, low)
    field = Image.frombytes("RGB", (6, 4), rnd.randbytes(6 * 4 * 3))
    img = Image.blend(img, field.resize((w, h), Image.Resampling.BICUBIC), 0.18)
    d = ImageDraw.Draw(img)
    sx, sy, r = rnd.randrange(w), rnd.randrange(h // 3), rnd.randrange(120, 400)
    d.ellipse((sx - r, sy - r, sx + r, sy + r), fill=(255, 244, 214))
    img = img.filter(ImageFilter.BoxBlur(30))
    d = ImageDraw.Draw(img)
    ground = Image.new("L", (w, h), 0)
    gd = ImageDraw.Draw(ground)
    horizon = int(h * rnd.uniform(0.5, 0.68))
    sea = rnd.random() < 0.55
    ranges = ((20, 70), (50, 110), (60, 120)) if sea else ((30, 90), (60, 120), (20, 70))
    base = tuple(rnd.randrange(a, b) for a, b in ranges)
    for layer in range(3):
        pts = [(0, h)]
        y = horizon + layer * h // 14
        step = 400 if sea else 120
        for x in range(0, w + step, step):
            y += rnd.randrange(-8, 9) if sea else rnd.randrange(-90, 91)
            pts.append((x, y))
        pts.append((w, h))
        c = tuple(max(0, v - 12 * layer + rnd.randrange(-10, 11)) for v in base)
        d.polygon(pts, fill=c)
        gd.polygon(pts, fill=255)
    for _ in range(rnd.randrange(1, 4)):
        col = tuple(rnd.randrange(35, 90) for _ in range(3))
        y = horizon + rnd.randrange(-20, 40)
        if sea:  # a hull, superstructure and masts
            length = rnd.randrange(500, 1500)
            x = rnd.randrange(0, w - length)
            hh = length // rnd.randrange(7, 12)
            d.polygon(
                [(x, y), (x + length, y), (x + length - hh, y + hh), (x + hh // 2, y + hh)],
                fill=col,
            )
            bx = x + length // 4
            for _ in range(rnd.randrange(2, 5)):
                bw, bh = rnd.randrange(length // 10, length // 4), rnd.randrange(hh // 2, hh * 2)
                d.rectangle((bx, y - bh, bx + bw, y), fill=col)
                d.line(
                    (bx + bw // 2, y - bh, bx + bw // 2, y - bh - rnd.randrange(hh, 3 * hh)),
                    fill=col,
                    width=8,
                )
                bx += bw + rnd.randrange(0, length // 10)
        else:  # a hangar and trees
            x = rnd.randrange(0, w - 1200)
            bw, bh = rnd.randrange(400, 1100), rnd.randrange(150, 400)
            d.rectangle((x, y - bh, x + bw, y + 60), fill=col)
            d.pieslice((x, y - bh - bh // 2, x + bw, y - bh + bh // 2), 180, 360, fill=col)
            for _ in range(rnd.randrange(4, 12)):
                tx, tr = rnd.randrange(w), rnd.randrange(60, 220)
                d.ellipse(
                    (tx - tr, y - 2 * tr, tx + tr, y + tr // 2),
                    fill=tuple(max(0, v - 25) for v in base),
                )
    tw, th = w // 4, h // 4
    tex = _amp(Image.frombytes("L", (tw, th), rnd.randbytes(tw * th)), 26)
    tex = tex.resize((w, h), Image.Resampling.BICUBIC)
    img = Image.composite(
        ImageChops.add(img, Image.merge("RGB", (tex,) * 3), 1.0, -128), img, ground
    )
    # Sensor grain: luminance at full resolution, a little chroma at half.
    g = _amp(Image.frombytes("L", (w, h), rnd.randbytes(w * h)), grain)
    chroma = _amp(Image.frombytes("L", (w // 2, h // 2), rnd.randbytes(w * h // 4)), grain // 2)
    g2 = ImageChops.add(g, chroma.resize((w, h)), 1.0, -128)
    img = ImageChops.add(img, Image.merge("RGB", (g, g2, g)), 1.0, -128)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0", dpi=(300, 300))
    Path(path).write_bytes(buf.getvalue())
    return path, len(buf.getvalue())


def make_ad(job: tuple[str, int, tuple[int, int], str, str]) -> tuple[str, int]:
    """Ad artwork: a colour field, shapes, the advertiser's name and a line of copy."""
    path, seed, (w, h), name, copy = job
    rnd = random.Random(seed)
    dark = tuple(rnd.randrange(10, 70) for _ in range(3))
    light = tuple(rnd.randrange(120, 230) for _ in range(3))
    img = ImageOps.colorize(Image.linear_gradient("L").resize((w, h)), dark, light)
    d = ImageDraw.Draw(img)
    for _ in range(rnd.randrange(4, 9)):
        x, y = rnd.randrange(w), rnd.randrange(h)
        rr = rnd.randrange(min(w, h) // 10, min(w, h) // 2)
        d.ellipse(
            (x - rr, y - rr, x + rr, y + rr),
            outline=tuple(rnd.randrange(150, 256) for _ in range(3)),
            width=max(4, w // 150),
        )
    fonts = REPO / "assets" / "fonts"
    size = max(24, w // 11)
    bold = ImageFont.truetype(str(fonts / "InterDisplay-Bold.otf"), size)
    regular = ImageFont.truetype(str(fonts / "Inter-Regular.otf"), max(16, size // 3))
    margin = w // 14
    y = h // 8
    for line in _wrap(name, bold, w - 2 * margin, d):
        d.text((margin, y), line, font=bold, fill=(255, 255, 255))
        y += int(size * 1.15)
    y += size // 2
    for line in _wrap(copy, regular, w - 2 * margin, d):
        d.text((margin, y), line, font=regular, fill=(240, 240, 240))
        y += int(size * 0.45)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, dpi=(300, 300))
    Path(path).write_bytes(buf.getvalue())
    return path, len(buf.getvalue())


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, d: ImageDraw.ImageDraw) -> list:
    lines, line = [], ""
    for word in text.split():
        test = f"{line} {word}".strip()
        if line and d.textlength(test, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = test
    return [*lines, line] if line else lines


# --- the issue ---------------------------------------------------------------------------


def make_issue(
    out: Path,
    seed: int = 1,
    articles: int = 16,
    photos: int = 32,
    words: int = 1200,
    workers: int | None = None,
) -> list[tuple[Path, int]]:
    """Write the issue folder `out` (empty or absent); return (file, bytes) of every file."""
    rnd = random.Random(seed)
    w = Writer(rnd)
    n_inframe, n_news_photos = 6, 3
    n_figures = photos - 1 - articles - n_inframe - n_news_photos
    least = 1 + articles + n_inframe + n_news_photos
    if not 0 <= n_figures <= articles:
        raise SystemExit(
            f"--photos must be between {least} (the cover, {articles} lead "
            f"photos, {n_inframe} Inframe and {n_news_photos} news photos) and "
            f"{least + articles} (one photo in the text of each article)"
        )
    (out / "articles").mkdir(parents=True, exist_ok=True)
    (out / "photos").mkdir(exist_ok=True)
    (out / "ads").mkdir(exist_ok=True)
    written_text: list[Path] = []
    photo_jobs: list[tuple[str, int, tuple[int, int], int]] = []

    def photo(name: str, upright: bool = False) -> str:
        size = PHOTO_SIZE[::-1] if upright else PHOTO_SIZE
        photo_jobs.append(
            (str(out / "photos" / name), rnd.getrandbits(63), size, rnd.randrange(11, 17))
        )
        return f"photos/{name}"

    cover = photo("cover.jpg", upright=True)

    # Articles: titles and slugs first, so that "related" can name them.
    titles, slugs = [], []
    for _ in range(articles):
        t = w.headline()
        s = slugify(t)
        while s in slugs or not s:
            s = f"{s}-{len(slugs) + 1}".strip("-")
        titles.append(t)
        slugs.append(s)
    per_rubric = [slugs[i :: len(RUBRICS)] for i in range(len(RUBRICS))]
    # Issue order is rubric by rubric.
    order = [s for group in per_rubric for s in group]
    rubric_of = {s: RUBRICS[i] for i, group in enumerate(per_rubric) for s in group}
    figures = (
        set(range(0, len(order), max(1, len(order) // max(1, n_figures)))[:n_figures])
        if n_figures
        else set()
    )
    for pos, slug in enumerate(order):
        i = slugs.index(slug)
        lead = photo(f"{slug}-lead.jpg")
        figure = photo(f"{slug}-2.jpg") if pos in figures else None
        body, pullquote = article_body(w, rnd.randrange(words - 200, words + 201), figure)
        others = [s for s in order if s != slug]
        related = rnd.sample(others, rnd.randrange(2, 4))
        if rnd.random() < 0.3:
            related.append(w.headline())  # a story on the website, not in this issue
        day = ISSUE_DATE - dt.timedelta(days=rnd.randrange(3, 30))
        lines = [
            "---",
            f"title: {q(titles[i])}",
            f"rubric: {q(rubric_of[slug])}",
            f"author: {q(w.person())}",
            f"date: {day.isoformat()}",
            f"dek: {q(w.sentence() + ' ' + w.sentence())}",
            f"dateline: {q(rnd.choice(PLACES[:15]))}",
            'agency: "IDM"',
            f"lead_photo: {q(lead)}",
            f"lead_caption: {q(w.caption())}",
            f"credit: {q(w.person())}",
            f"related: {q_list(related)}",
            f"pullquote: {q(pullquote)}",
        ]
        if pos % 3 == 0:
            lines += [
                "sidebar:",
                f"  title: {q(title_case(w.noun_phrase()) + ' dalam Catatan')}",
                "  body: |",
            ]
            for _ in range(rnd.randrange(4, 7)):
                key = cap(w.noun_phrase())
                lines.append(f"    - **{key}:** {w.clause()}.")
        lines.append("---")
        path = out / "articles" / f"{slug}.md"
        path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
        written_text.append(path)

    inframe = [photo(f"inframe-{k}.jpg", upright=k == 3) for k in range(1, n_inframe + 1)]
    news_photos = [photo(f"news-{k}.jpg") for k in range(1, n_news_photos + 1)]
    assert len(photo_jobs) == photos, (len(photo_jobs), photos)

    ad_jobs = []
    ads_toml = []
    placements = [
        ("full", "after", order[3]),
        ("half", "article", order[6]),
        ("quarter", "article", order[9 % len(order)]),
    ]
    for k, (size, key, where) in enumerate(placements, start=1):
        name = (
            f"{rnd.choice(['Nusa', 'Bahari', 'Garuda', 'Cakra', 'Samudra'])} "
            f"{rnd.choice(['Radar', 'Marine', 'Aero', 'Tactical', 'Defence'])} "
            f"{rnd.choice(['Expo 2024', 'Systems', 'Academy', 'Works'])}"
        )
        art = f"ads/{size}-{k}.jpg"
        ad_jobs.append(
            (str(out / art), rnd.getrandbits(63), AD_SIZES[size], name, cap(w.clause()) + ".")
        )
        ads_toml.append(
            f'[[ads]]\nartwork = "{art}"\nsize = "{size}"\n'
            f"advertiser = {q(name)}\n{key} = {q(where)}\n"
        )

    toml = [
        "# A synthetic issue for benchmarks, written by bench/make_issue.py "
        f"(seed {seed}). The text is generated and means nothing.",
        "",
        f"number = {ISSUE_NUMBER}",
        f"date = {ISSUE_DATE.isoformat()}",
        'title = "Juni 2024"',
        'magazine = "IDM"',
        'tagline = "Majalah Pertahanan Indonesia"',
        'price = "Rp 45.000"',
        'issn = "ISSN 2024-0147"',  # the magazine's, the same in every issue
        'ean = "9772024014004"',
        'language = "id"',
        'layout = "classic"',
        "",
        "[cover]",
        f'photo = "{cover}"',
        f"credit = {q(w.person())}",
        f'lead = "{order[0]}"',
        f"lines = {q_list([order[4], order[8], order[12 % len(order)]])}",
        "",
    ]
    for name, group in zip(RUBRICS, per_rubric, strict=True):
        ordered = [s for s in order if s in group]
        toml += ["[[rubrics]]", f"name = {q(name)}", f"articles = {q_list(ordered)}", ""]
    for k in range(8):
        day = ISSUE_DATE - dt.timedelta(days=28 - 3 * k)
        toml += [
            "[[news]]",
            f"title = {q(w.headline())}",
            f"dateline = {q(rnd.choice(PLACES[:15]))}",
            f"date = {day.isoformat()}",
        ]
        if k % 3 == 0 and k // 3 < n_news_photos:
            toml.append(f'photo = "{news_photos[k // 3]}"')
        toml += [f"text = {q(w.paragraph(rnd.randrange(75, 100)))}", ""]
    for p in inframe:
        toml += [
            "[[inframe]]",
            f'photo = "{p}"',
            f"title = {q(w.headline())}",
            f"caption = {q(w.caption() + ' ' + w.sentence())}",
            f"credit = {q(w.person())}",
            "",
        ]
    for k in range(6):
        toml += ["[[popular]]"]
        if k % 2 == 0:
            toml.append(f'article = "{order[k * 2 % len(order)]}"')
        else:
            toml.append(f"title = {q(w.headline())}")
        toml.append("")
    staff = [
        ("Pemimpin Umum", 1),
        ("Pemimpin Redaksi", 1),
        ("Redaktur Pelaksana", 1),
        ("Redaktur", 2),
        ("Reporter", 6),
        ("Fotografer", 1),
        ("Tata Letak", 1),
    ]
    toml += [
        "[imprint]",
        'publisher = "PT Wira Cakrawala Media"',
        'address = "Jalan Kenari Nusantara No. 18, Menteng Atas, Jakarta Selatan 12960"',
        'website = "www.idm.example"',
        'email = "redaksi@idm.example"',
        "staff = [",
    ]
    for role, n in staff:
        names = ", ".join(w.person() for _ in range(n))
        toml.append(f"  {{ role = {q(role)}, name = {q(names)} }},")
    toml += ["]", ""]
    toml += ads_toml
    (out / "issue.toml").write_text("\n".join(toml), encoding="utf-8")
    written_text.append(out / "issue.toml")

    n = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=n) as pool:
        pics = list(pool.map(make_photo, photo_jobs)) + list(pool.map(make_ad, ad_jobs))
    files = [(p, p.stat().st_size) for p in written_text]
    files += [(Path(p), size) for p, size in pics]
    return sorted(files)


def q_list(values: list[str]) -> str:
    return "[" + ", ".join(q(v) for v in values) + "]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, metavar="OUT_DIR")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=16)
    parser.add_argument("--photos", type=int, default=32)
    parser.add_argument("--words", type=int, default=1200, help="words per article, about")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes drawing photos (default: the machine's cores)",
    )
    parser.add_argument("--force", action="store_true", help="empty OUT_DIR first")
    args = parser.parse_args()
    if args.articles < 10:
        parser.error("--articles must be at least 10 (the ads and cover lines name articles)")
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        if not args.force:
            parser.error(f"{out} is not empty (use --force to empty it)")
        shutil.rmtree(out)
    started = time.perf_counter()
    files = make_issue(out, args.seed, args.articles, args.photos, args.words, args.workers)
    for path, size in files:
        print(f"{size / 1e6:9.2f} MB  {path}")
    total = sum(size for _, size in files)
    print(
        f"{len(files)} files, {total / 1e6:.1f} MB in {out} "
        f"({time.perf_counter() - started:.1f} s, seed {args.seed})"
    )


if __name__ == "__main__":
    main()
