"""Tests for `edition collect`: pastes and saved pages into article files of an issue."""
# ruff: noqa: RUF001  (typographic dashes and quotes are part of the test data)

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from edition.collect.article import (
    FRONT_MATTER_KEYS,
    CollectedArticle,
    collect_article,
    render_article_file,
    report_lines,
    slugify,
)
from edition.collect.dates import parse_date_line
from edition.collect.into import collect_into
from edition.collect.source import read_source
from edition.errors import EditionError

FIXTURES = Path(__file__).parent / "fixtures" / "collect"

# Words of site chrome that must never reach an article body.
CHROME_WORDS = (
    "baca juga",
    "read also",
    "lihat juga",
    "berita terbaru",
    "berita terkait",
    "berita terkini",
    "berita lainnya",
    "inframe",
    "edisi terbaru",
    "populer",
    "rekomendasi",
    "terkini",
    "sidebar",
    "ads-",
    "whatsapp",
    "rate this",
    "votes",
    "written by",
    "read 1234",
    "tags:",
    "bagikan",
    "editor:",
    "pewarta",
    "reporter:",
    "copyright",
    "advertisement",
    "scroll to continue",
    "gambas",
    "beranda",
    "home /",
    "more in this category",
    "published in",
    "font size",
    "artikel terkait",
)

SEED_PARAGRAPHS = [
    "Menteri Pertahanan (Menhan) Rusia Sergei Shoigu melakukan pertemuan dengan Menhan Korea "
    "Utara (Korut) Kang Sun Nam di Pyongyang pada beberapa waktu lalu. Pertemuan itu merupakan "
    "wujud Rusia dalam memperkuat hubungan kerja sama militer dengan Korut.",
    "Dilansir dari Tass, laman resmi media Rusia, Kamis (27/7), kunjungan Shoigu dilakukan dalam "
    "rangka merayakan peringatan ke-70 gencatan senjata Perang Korea 1950-53. Dalam pertemuan "
    "dengan Nam, Shoigu menegaskan komitmen Rusia untuk terus memperluas kerja sama kedua negara "
    "khususnya di bidang pertahanan.",
    "“Saya dengan senang hati menerima undangan Anda untuk mengunjungi Pyongyang. Saya yakin "
    "pembicaraan ini akan berkontribusi untuk memperkuat kerja sama antara badan-badan pertahanan "
    "kita,” kata Shoigu.",
    "Lebih lanjut, Shoigu menekankan bahwa Korut merupakan mitra terdekat Rusia karena disebut "
    "memiliki sejarah hubungan bilateral yang panjang dengan tujuan yang sama yaitu menjaga "
    "stabilitas perdamaian. Shoigu pun menyebut kerja sama kedua negara terus meningkat pasca "
    "berakhirnya Perang Korea.",
    "“Kunjungan kapal perang, kunjungan resmi pejabat tinggi pertahanan, pertukaran delegasi dan "
    "pelatihan personel kami semuanya berkontribusi untuk menjaga perdamaian dan stabilitas di "
    "Semenanjung Korea,” ujarnya.",
    "Shoigu juga akan melihat parade pertahanan yang akan memamerkan postur kekuatan angkatan "
    "bersenjata. Kunjungan Shoigu ini menjadi yang pertama kali bagi Korut menerima tamu asing "
    "dalam tiga tahun terakhir. Sebab, pemerintah Kim Jon Un telah menerapkan pembatasan yang "
    "ketat dan menutup seluruh akses ke dunia luar karena Pandemi Covid-19.",
]
SEED_TITLE = "Pererat Hubungan Pertahanan, Menhan Rusia Berkunjung ke Korea Utara"
SEED_SLUG = "pererat-hubungan-pertahanan-menhan-rusia-berkunjung"

CASES: dict[str, dict[str, Any]] = {
    "seed.txt": {
        "title": SEED_TITLE,
        "date": "2024-05-19",
        "dateline": "Jakarta",
        "agency": "IDM",
        "author": "bp",
        "related": [
            "Belarusia Siagakan Pasukan untuk Hadapi Kemungkinan Konflik di Dalam Negeri",
            "Pertama Kali, AS Kirim Bantuan Drone Black Hornet ke Ukraina",
        ],
        "source": "seed.txt",
        "paragraphs": SEED_PARAGRAPHS,
        "absent": [
            "Menhan Prabowo Serahkan Bantuan",
            "korban bencana banjir bandang",
            "(bp)",
            "Jakarta, IDM",
        ],
    },
    "idm_lowercase_promos.txt": {
        "title": "TNI AL Uji Coba Rudal Permukaan di Perairan Selat Sunda",
        "date": "2011-03-08",
        "dateline": "Jakarta",
        "agency": "IDM",
        "author": "rr/ant",
        "related": ["Pangkalan Baru di Natuna Mulai Beroperasi Tahun Depan"],
        "source": "idm_lowercase_promos.txt",
        "paragraphs": [
            "Kapal perang TNI Angkatan Laut melakukan uji coba penembakan rudal permukaan ke "
            "permukaan di perairan Selat Sunda, Senin (7/3). Uji coba itu menjadi bagian dari "
            "latihan rutin untuk memastikan kesiapan sistem senjata armada.",
            "Komandan gugus tugas latihan menyampaikan bahwa seluruh tahapan penembakan berjalan "
            "sesuai rencana. Sasaran berupa kapal bekas yang ditempatkan sekitar 30 mil laut dari "
            "titik peluncuran berhasil dihantam.",
            '"Latihan seperti ini penting agar prajurit tidak hanya mengenal senjatanya di atas '
            'kertas, tetapi juga merasakan langsung prosedur tembak yang sebenarnya," ujarnya.',
            "Selain uji coba rudal, latihan juga mencakup manuver formasi, pengisian bahan bakar "
            "di laut, dan simulasi pertolongan korban. Seluruh rangkaian latihan dijadwalkan "
            "selesai pada akhir pekan ini.",
        ],
        "absent": [
            "Kapal Patroli Cepat",
            "Latihan Gabungan Tiga Matra",
            "Kursus Selam",
            "(rr/ant)",
        ],
    },
    "antara_style.txt": {
        "title": "Pemerintah Tambah Anggaran Pemeliharaan Alutsista Tahun Depan",
        "date": "2017-04-27",
        "dateline": "Jakarta",
        "agency": "Antara",
        "author": "Dewi Lestari",
        "related": ["DPR minta rencana pengadaan kapal selam dikaji ulang"],
        "source": "antara_style.txt",
        "paragraphs": [
            "Pemerintah berencana menambah anggaran pemeliharaan alat utama sistem persenjataan "
            "(alutsista) pada tahun anggaran mendatang. Tambahan itu diharapkan menaikkan tingkat "
            "kesiapan operasional pesawat dan kapal yang kini masih di bawah target.",
            "Direktur perencanaan anggaran kementerian mengatakan porsi pemeliharaan selama ini "
            "kerap kalah oleh belanja pengadaan baru. Padahal, kata dia, alutsista yang tidak "
            "dirawat dengan baik justru memboroskan anggaran dalam jangka panjang.",
            '"Kita ingin setiap rupiah yang dibelanjakan benar-benar membuat pesawat bisa terbang '
            'dan kapal bisa berlayar," katanya di Jakarta, Kamis.',
            "Menurut dia, pembahasan rinci akan dilakukan bersama komisi terkait di DPR dalam "
            "beberapa pekan ke depan.",
        ],
        "absent": ["Agus Salim", "Komisi I DPR Setujui", "Suku Cadang", "ANTARA"],
    },
    "kompas_style.txt": {
        "title": "Prajurit Penjaga Perbatasan Terima Tunjangan Khusus Mulai Juni",
        "date": "2024-05-19",
        "dateline": "Pontianak",
        "agency": "KOMPAS.com",
        "author": "Rina Kusuma",
        "dek": "Tunjangan diberikan kepada prajurit yang bertugas di pos-pos terluar, dengan "
        "besaran mengikuti tingkat kesulitan wilayah.",
        "lead_caption": "Prajurit TNI berpatroli di jalur inspeksi perbatasan di Kalimantan Utara.",
        "credit": "Dok. Puspen TNI",
        "related": [
            "Pos Lintas Batas Baru Diresmikan di Entikong",
            "Helikopter Angkut Logistik ke Pos Terpencil Tiap Dua Pekan",
        ],
        "source": "kompas_style.txt",
        "paragraphs": [
            "Prajurit yang bertugas di pos-pos perbatasan darat akan menerima tunjangan khusus "
            "mulai Juni mendatang. Kebijakan ini disebut sebagai bentuk penghargaan atas beratnya "
            "medan tugas di wilayah terluar.",
            "Besaran tunjangan dibedakan menurut tingkat kesulitan lokasi, mulai dari akses jalan, "
            "ketersediaan listrik, hingga jarak ke fasilitas kesehatan terdekat. Pos yang hanya "
            "bisa dicapai dengan berjalan kaki berhari-hari masuk kategori tertinggi.",
            "Seorang komandan pos di Kapuas Hulu mengatakan kabar itu disambut gembira oleh "
            "anggotanya. Menurut dia, sebagian besar prajurit di pos tersebut sudah bertugas lebih "
            "dari sembilan bulan tanpa pulang ke keluarga.",
            "Kementerian memastikan pembayaran dilakukan langsung ke rekening prajurit tanpa "
            "potongan apa pun.",
        ],
        "absent": [
            "Bambang Hartono",
            "Jadwal Latihan Gabungan",
            "Kapal Rumah Sakit",
            "Opini",
            "10:15",
            "Foto",
        ],
    },
    "cms_k2.txt": {
        "title": "Why the Archipelago Needs More Than Submarines",
        "date": "2019-01-17",
        "author": "Hendra Wijaya",
        "related": ["Coastal Radar Network Reaches Maluku"],
        "source": "cms_k2.txt",
        "paragraphs": [
            "The debate about how many submarines the navy should operate has dominated the "
            "defence conversation for years, yet it often ignores the wider picture of what "
            "protecting an archipelago actually requires.",
            "Submarines are formidable, but they cannot patrol every strait, escort every fishing "
            "fleet or answer every distress call. Those daily tasks fall to patrol vessels, "
            "maritime aircraft and a network of coastal radars that still has large gaps in the "
            "east.",
            "A balanced fleet would pair a modest number of submarines with far more surface "
            "patrol capacity, and with the people and shore facilities needed to keep ships at sea "
            "rather than waiting for spare parts.",
            "None of this is cheap, but it is cheaper than discovering the gaps during a crisis.",
        ],
        "absent": ["Indonesian Defence Watch", "Drones on the Border", "Print", "Email", "09:11"],
    },
    "detik_style.txt": {
        "title": "Kapal Rumah Sakit TNI AL Layani Warga Pulau Terluar di Sumenep",
        "date": "2024-05-20",
        "dateline": "Surabaya",
        "author": "Andi Pratama",
        "lead_caption": "Ilustrasi kapal rumah sakit bersandar di dermaga.",
        "credit": "Dok. Istimewa",
        "related": ["Dokter Militer Dikirim ke Daerah Bencana"],
        "source": "detik_style.txt",
        "paragraphs": [
            "Kapal rumah sakit milik TNI Angkatan Laut bersandar di salah satu pulau terluar "
            "Kabupaten Sumenep untuk memberikan layanan kesehatan gratis bagi warga. Ratusan warga "
            "sudah mengantre sejak pagi.",
            "Layanan yang diberikan meliputi pemeriksaan umum, pengobatan gigi, operasi kecil, "
            "hingga pemeriksaan mata. Tim medis juga membagikan kacamata baca kepada warga lanjut "
            "usia.",
            "Kepala desa setempat mengatakan warga biasanya harus menyeberang ke daratan selama "
            "empat jam untuk mendapat layanan serupa. Ia berharap kegiatan ini bisa rutin digelar "
            "setiap tahun.",
        ],
        "absent": ["Nelayan Temukan", "20 menit", "Google News", "(wsw/ega)", "Jawa Timur"],
    },
    "cnn_style.txt": {
        "title": "Satelit Militer Pertama Indonesia Dijadwalkan Meluncur 2013",
        "date": "2011-03-08",
        "dateline": "Jakarta",
        "agency": "CNN Indonesia",
        "author": "dhf/has",
        "related": ["Radar Pertahanan Udara Baru Dipasang di Timika"],
        "source": "cnn_style.txt",
        "paragraphs": [
            "Kementerian Pertahanan menargetkan satelit komunikasi militer pertama Indonesia dapat "
            "diluncurkan pada 2013. Satelit itu akan melayani komunikasi antarsatuan di seluruh "
            "wilayah Nusantara.",
            "Juru bicara kementerian menjelaskan bahwa proses pengadaan masih berada di tahap "
            "penyusunan spesifikasi teknis. Tim gabungan dari tiga matra dilibatkan agar kebutuhan "
            "setiap angkatan terakomodasi.",
            "Ia menambahkan, satelit tersebut dirancang untuk beroperasi setidaknya 15 tahun dan "
            "dapat menjangkau kapal yang berlayar jauh dari pangkalan.",
        ],
        "absent": ["Uji Komunikasi Satelit", "Radar Pertahanan Udara", "--"],
    },
    "wrapped_email.txt": {
        "title": "Menhan Resmikan Pusat Pelatihan Siber di Bandung",
        "date": "2024-05-19",
        "dateline": "Bandung",
        "author": "Siti Aminah",
        "related": ["Sekolah Sandi Negara Buka Program Beasiswa"],
        "source": "wrapped_email.txt",
        "paragraphs": [
            "Menteri Pertahanan meresmikan pusat pelatihan siber yang akan mendidik ratusan "
            "personel setiap tahun. Pusat itu dilengkapi laboratorium simulasi serangan dan "
            "pertahanan jaringan.",
            "Dalam sambutannya, menteri menyebut ancaman di ranah siber kini sama nyatanya dengan "
            "ancaman di darat, laut, dan udara. Karena itu, ia meminta para peserta serius "
            "mengikuti seluruh kurikulum.",
            "Pelatihan angkatan pertama dijadwalkan dimulai bulan depan dengan 60 peserta dari "
            "tiga matra.",
        ],
        "absent": ["Siti Aminah", "Sekolah Sandi"],
    },
    "top_ticker.txt": {
        "title": "Industri Galangan Kapal Nasional Kebut Pesanan Kapal Patroli",
        "date": "2024-06-03",
        "dateline": "Batam",
        "agency": "IDM",
        "author": "bp",
        "lead_caption": "Kapal patroli dalam tahap akhir perakitan di galangan.",
        "credit": "IDM/Rudi",
        "related": ["Bakamla Terima Dua Kapal Patroli Baru"],
        "source": "top_ticker.txt",
        "paragraphs": [
            "Sejumlah galangan kapal di Batam mempercepat penyelesaian pesanan kapal patroli untuk "
            "instansi pemerintah. Permintaan meningkat seiring perluasan wilayah patroli di "
            "perairan perbatasan.",
            "Manajer produksi salah satu galangan mengatakan pihaknya kini bekerja dalam tiga "
            "giliran. Ia menyebut komponen mesin masih didatangkan dari luar negeri, tetapi "
            "lambung dan sebagian besar perlengkapan sudah dibuat di dalam negeri.",
            "Menurut dia, tantangan terbesar adalah ketersediaan tenaga las bersertifikat yang "
            "jumlahnya belum sebanding dengan pesanan.",
        ],
        "absent": ["Pesawat Angkut Baru", "Majalah Pertahanan", "Diterbitkan"],
    },
    "markdown_escape.txt": {
        "title": "Lima Catatan untuk Buku Putih Pertahanan Berikutnya",
        "date": "2024-05-19",
        "dateline": "Jakarta",
        "agency": "IDM",
        "author": "red",
        "related": None,
        "source": "markdown_escape.txt",
        "paragraphs": [
            "Buku putih pertahanan yang baru sedang disusun, dan ada beberapa hal yang layak "
            "dicatat sejak awal agar dokumen itu tidak sekadar menjadi daftar keinginan.",
            "1\\. Pertama, dokumen harus menyebut prioritas secara tegas, termasuk apa yang tidak "
            "akan dibeli.",
            "\\# Kedua, tagar seperti itu sering dipakai di media sosial, tetapi kebijakan tidak "
            "boleh disusun berdasarkan tren.",
            "Ketiga, istilah seperti \\*interoperabilitas\\* dan nama\\_sistem harus dijelaskan "
            "dengan bahasa yang mudah, bukan sekadar \\<akronim> dan \\[singkatan\\].",
            "\\- Keempat, anggaran 2 \\* 3 tahun ke depan perlu diproyeksikan secara terbuka.",
            "Kelima, keterlibatan publik harus dibuka sejak rancangan awal.",
        ],
        "absent": ["(red)", "Opini"],
    },
    "full_page.html": {
        "title": "Drone Buatan Dalam Negeri Lolos Uji Terbang Jarak Jauh",
        "date": "2024-05-14",
        "dateline": "Bandung",
        "agency": "IDM",
        "author": "Rudi Hartono",
        "dek": "Pesawat nirawak intai itu terbang tujuh jam tanpa gangguan. Produksi awal "
        "direncanakan enam unit.",
        "lead_caption": "Drone intai saat lepas landas dari landasan uji.",
        "credit": "IDM/Rudi Hartono",
        "related": ["Radar Pantai Buatan Bandung Dipasang di Sulawesi"],
        "source": "https://idm.example/berita/drone-lokal-lolos-uji",
        "paragraphs": [
            "Pesawat nirawak intai buatan industri dalam negeri berhasil menyelesaikan uji terbang "
            "jarak jauh sejauh 400 kilometer tanpa gangguan berarti. Uji terbang dilakukan dari "
            "sebuah lapangan terbang di Jawa Barat menuju perairan selatan dan kembali lagi.",
            "Kepala tim perancang menjelaskan bahwa pesawat itu terbang selama hampir tujuh jam "
            "dengan ketinggian jelajah sekitar 5.000 meter. Seluruh data penerbangan dikirim "
            "secara langsung ke stasiun kendali darat.",
            '"Kami ingin membuktikan bahwa desain dan perangkat lunaknya bisa diandalkan untuk '
            'misi panjang," kata dia.',
            "## Tahap berikutnya",
            "Setelah uji jarak jauh, pesawat akan menjalani pengujian di cuaca buruk dan pengujian "
            "muatan sensor tambahan. Sertifikasi kelaikan udara ditargetkan rampung tahun depan.",
            "Jika seluruh tahapan lolos, produksi awal direncanakan sebanyak enam unit untuk "
            "kebutuhan patroli perbatasan.",
        ],
        "absent": [
            "Pabrik Komponen Avionik",
            "Kapal Selam Baru Tiba",
            "Majalah Pertahanan",
            "Pedoman Media Siber",
            "dataLayer",
            "console.log",
            "Facebook",
            "drone intai saat",
        ],
    },
    "blog_cp1252.html": {
        "title": "Marinir Latih Warga Pesisir Hadapi Bencana",
        "date": "2024-06-07",
        "dateline": "Surabaya",
        "agency": "IDM",
        "author": "Made Wirawan",
        "related": ["Jalur Evakuasi Baru Dibangun di Pacitan"],
        "source": "blog_cp1252.html",
        "paragraphs": [
            "Prajurit Korps Marinir melatih warga desa pesisir di selatan Jawa Timur untuk "
            "menghadapi bencana gelombang tinggi dan tsunami. Pelatihan digelar selama tiga hari "
            "di balai desa dan di sepanjang pantai.",
            "Warga diajari membaca tanda-tanda alam, menentukan jalur evakuasi, serta memberikan "
            "pertolongan pertama kepada korban. Anak-anak sekolah juga dilibatkan melalui simulasi "
            "yang dikemas seperti permainan.",
            "“Kami ingin warga tidak panik ketika sirene berbunyi, tetapi tahu persis ke mana "
            "harus berlari,” kata komandan tim pelatih.",
            "Kepala desa berharap pelatihan serupa dapat diulang setiap tahun, terutama menjelang "
            "musim gelombang tinggi.",
        ],
        "absent": [
            "Latihan Pendaratan Amfibi",
            "Helikopter Evakuasi",
            "Arsip",
            "WordPress",
            "_paq",
            "Jum’at",
            "marinir, bencana",
        ],
    },
}
META_KEYS = (
    "title",
    "date",
    "dateline",
    "agency",
    "author",
    "dek",
    "lead_caption",
    "credit",
    "related",
    "source",
)


def collect_fixture(name: str) -> CollectedArticle:
    path = FIXTURES / name
    return collect_article(path.read_bytes(), str(path))


def paragraphs(article: CollectedArticle) -> list[str]:
    assert article.body.endswith("\n") and not article.body.endswith("\n\n")
    return article.body.rstrip("\n").split("\n\n")


# --------------------------------------------------------------------------- fixtures, one by one


@pytest.mark.parametrize("name", sorted(CASES))
def test_front_matter(name: str) -> None:
    article = collect_fixture(name)
    expected = CASES[name]
    for key in META_KEYS:
        assert article.front_matter.get(key) == expected.get(key), key
    assert set(article.front_matter) <= set(FRONT_MATTER_KEYS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_body_paragraphs_exact(name: str) -> None:
    article = collect_fixture(name)
    assert paragraphs(article) == CASES[name]["paragraphs"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_chrome_in_body(name: str) -> None:
    body = collect_fixture(name).body
    for word in CHROME_WORDS:
        assert not re.search(r"(?<!\w)" + re.escape(word), body, re.IGNORECASE), word
    for text in CASES[name]["absent"]:
        assert text not in body, text


@pytest.mark.parametrize("name", sorted(CASES))
def test_word_count_and_slug(name: str) -> None:
    article = collect_fixture(name)
    plain = " ".join(CASES[name]["paragraphs"]).replace("## ", "")
    assert article.word_count == len(plain.split())
    assert article.slug == slugify(CASES[name]["title"])


def test_seed_reports_what_was_stripped() -> None:
    article = collect_fixture("seed.txt")
    assert article.slug == SEED_SLUG
    assert article.stripped == [
        "dateline 'Jakarta, IDM –'",
        "empty 'BACA JUGA' label",
        "sign-off '(bp)'",
        "2 Baca Juga promos",
        "site chrome from 'BERITA TERBARU' (8 lines)",
    ]
    assert report_lines(article) == [
        f"{FIXTURES / 'seed.txt'} -> articles/{SEED_SLUG}.md",
        f"  title:    {SEED_TITLE}",
        "  date:     2024-05-19",
        "  words:    215",
        "  stripped: dateline 'Jakarta, IDM –'; empty 'BACA JUGA' label; sign-off '(bp)'; "
        "2 Baca Juga promos; site chrome from 'BERITA TERBARU' (8 lines)",
    ]


def test_top_and_bottom_chrome_are_reported() -> None:
    stripped = collect_fixture("cms_k2.txt").stripped
    assert stripped == [
        "top chrome: 6 lines (from 'Indonesian Defence Watch')",
        "1 Baca Juga promo",
        "site chrome from 'Read 1234 times' (4 lines)",
    ]
    detik = collect_fixture("detik_style.txt").stripped
    assert "2 ad/widget lines" in detik


def test_seed_in_other_encodings_gives_the_same_article() -> None:
    text = (FIXTURES / "seed.txt").read_text(encoding="utf-8")
    reference = collect_article(text, "seed.txt")
    for data in (codecs_bom(text), text.encode("cp1252"), text.encode("utf-16")):
        article = collect_article(data, "seed.txt")
        assert article.front_matter == reference.front_matter
        assert article.body == reference.body


def codecs_bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def test_html_detected_by_content_on_stdin() -> None:
    data = (FIXTURES / "full_page.html").read_bytes()
    article = collect_article(data, "stdin")
    assert article.front_matter["title"] == CASES["full_page.html"]["title"]
    assert paragraphs(article) == CASES["full_page.html"]["paragraphs"]


def test_crlf_paste() -> None:
    text = (FIXTURES / "seed.txt").read_text(encoding="utf-8").replace("\n", "\r\n")
    article = collect_article(text.encode(), "seed.txt")
    assert paragraphs(article) == SEED_PARAGRAPHS


def test_quoted_title_acronym_mid_text_and_view_counts() -> None:
    paste = "\n".join(
        [
            "Indeks | Nasional | Internasional | Pertahanan",
            "Menhan: “Pertahanan Dimulai dari Desa”",
            "Rabu, 22 Mei 2024 | 2 jam lalu",
            "Dibaca: 1.234 kali",
            "",
            "Menteri menegaskan bahwa ketahanan nasional tidak hanya dibangun oleh tentara, tetapi "
            "juga oleh desa-desa yang mandiri pangan dan energi. (TNI)",
            "",
            "Ia meminta pemerintah daerah menyiapkan lumbung pangan di setiap "
            "kecamatan, terutama di "
            "wilayah perbatasan dan pulau terluar.",
            "",
            "Artikel Terkait",
            "Lumbung Pangan Prajurit Diresmikan di Merauke",
        ]
    )
    article = collect_article(paste, "paste.txt")
    assert article.front_matter == {
        "title": "Menhan: “Pertahanan Dimulai dari Desa”",
        "date": "2024-05-22",
        "source": "paste.txt",
    }
    assert paragraphs(article) == [
        "Menteri menegaskan bahwa ketahanan nasional tidak hanya dibangun oleh tentara, tetapi "
        "juga oleh desa-desa yang mandiri pangan dan energi. (TNI)",
        "Ia meminta pemerintah daerah menyiapkan lumbung pangan di setiap kecamatan, terutama di "
        "wilayah perbatasan dan pulau terluar.",
    ]
    assert article.slug == "menhan-pertahanan-dimulai-dari-desa"


def test_title_only_paste_has_no_text(tmp_path: Path) -> None:
    source = tmp_path / "judul.txt"
    source.write_text(
        "Minggu, 19 Mei 2024\n\nJudul Berita Tanpa Isi Sama Sekali\n\nBERITA TERBARU\n",
        encoding="utf-8",
    )
    with pytest.raises(EditionError) as exc:
        collect_article(source.read_bytes(), str(source))
    assert error_text(exc) == [
        f"{source}:3: error: no article text found after the title (the paste should hold the "
        "article's paragraphs) [collect.no-body]"
    ]


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Minggu, 19 Mei 2024", dt.date(2024, 5, 19)),
        ("Selasa, 8 Maret 2011", dt.date(2011, 3, 8)),
        ("Kamis, 27 April 2017 | 09:51 WIB", dt.date(2017, 4, 27)),
        ("19/05/2024", dt.date(2024, 5, 19)),
        ("19 Mei 2024 10:15 WIB", dt.date(2024, 5, 19)),
        ("Thursday, 17 January 2019 09:11", dt.date(2019, 1, 17)),
        ("Jum'at, 7 Juni 2024", dt.date(2024, 6, 7)),
        ("Sabtu, 17 Agu 2024 - 08:00 WITA", dt.date(2024, 8, 17)),
        ("Diterbitkan: 3 Juni 2024", dt.date(2024, 6, 3)),
        ("Published on May 19, 2024", dt.date(2024, 5, 19)),
        ("2024-05-19", dt.date(2024, 5, 19)),
        ("Kamis (27/7)", None),
        ("Menhan Kunjungi Natuna pada 19 Mei 2024", None),
        ("31 Februari 2024", None),
    ],
)
def test_parse_date_line(line: str, expected: dt.date | None) -> None:
    assert parse_date_line(line) == expected


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (SEED_TITLE, SEED_SLUG),
        (
            "Pasukan Perdamaian ke Lébanon Selatan Tiba di Beirut",
            "pasukan-perdamaian-ke-lebanon-selatan-tiba",
        ),
        ("Menhan: “Kita Siap!”", "menhan-kita-siap"),
        ("Jum'at Keramat di Natuna", "jumat-keramat-di-natuna"),
        ("Pertahanan" * 10 + " Nasional", "pertahanan" * 6),
        ("«»", "artikel"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug
    assert len(slugify(title)) <= 60


def test_render_article_file() -> None:
    article = collect_fixture("kompas_style.txt")
    text = render_article_file(article)
    assert text.startswith("---\ntitle: Prajurit Penjaga Perbatasan")
    head, body = text[4:].split("---\n\n", 1)
    assert body == article.body
    front = yaml.safe_load(head)
    assert front["date"] == dt.date(2024, 5, 19)
    assert "date: 2024-05-19\n" in head
    assert {**front, "date": "2024-05-19"} == article.front_matter
    assert list(front) == list(article.front_matter)


def test_read_source_stdin_and_file(tmp_path: Path) -> None:
    assert read_source("-", io.BytesIO(b"abc")) == (b"abc", "stdin")
    path = tmp_path / "a.txt"
    path.write_bytes(b"xyz")
    assert read_source(str(path)) == (b"xyz", str(path))


# --------------------------------------------------------------------------- bad input


def error_text(exc: pytest.ExceptionInfo[EditionError]) -> list[str]:
    return [str(finding) for finding in exc.value.findings]


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    folder = tmp_path / "issues" / "2024-05"
    folder.mkdir(parents=True)
    (folder / "issue.toml").write_text(ISSUE_TOML, encoding="utf-8")
    return folder


ISSUE_TOML = """\
number = 142                      # issue number
date = 2024-05-19
title = "Mei 2024"

[cover]
photo = "photos/cover.jpg"
lead = "natuna-patroli"

# Sections, in print order.
[[rubrics]]
name = "Laporan Utama"
articles = [
    "natuna-patroli",   # cover story
    "kapal-selam-doktrin",
]

[[rubrics]]
name   =   "Berita"   # aligned by hand
articles = ["drone-lokal"]

[imprint]
publisher = "PT Contoh"
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"",
            ": error: source is empty (save the article text or the web page into it) "
            "[collect.empty]",
        ),
        (
            b"  \n\n\t\n",
            ": error: source is empty (save the article text or the web page into it) "
            "[collect.empty]",
        ),
        (
            b"Judul Berita\nPK\x03\x04\x00\x00binary",
            ":2: error: source is binary data, not text (NUL "
            "byte) (collect a saved web page (.html) or a plain-text paste "
            "(.txt)) [collect.binary]",
        ),
        (
            b"Judul Berita Pertahanan\n\x81\x8d\x8f\x90\x9d",
            ":2: error: source is neither UTF-8 nor "
            "cp1252 text (byte 0x81 cannot be decoded) (save the file as UTF-8 "
            "text) [collect.encoding]",
        ),
        (
            bytes(range(0xA0, 0x100)) * 4,
            ":1: error: source is neither UTF-8 nor cp1252 text (byte 0xa0 "
            "cannot be decoded) (save the file as UTF-8 text) [collect.encoding]",
        ),
        (
            b"Ini adalah paragraf panjang tanpa judul yang ditulis seperti isi berita biasa, "
            b"lengkap dengan titik di akhir kalimat.\n\nParagraf kedua juga tidak punya judul "
            b"di atasnya sama sekali, hanya isi.\n",
            ":1: error: no recognisable title (no headline line before the article text) (put the "
            "headline on a line of its own above the text) [collect.no-title]",
        ),
        (
            b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
            ": error: no article text found (save the whole article page, or paste its text) "
            "[collect.no-body]",
        ),
    ],
)
def test_bad_source(issue: Path, data: bytes, message: str) -> None:
    suffix = ".html" if data.startswith(b"<") else ".txt"
    source = issue.parent / f"bad{suffix}"
    source.write_bytes(data)
    before = snapshot(issue)
    with pytest.raises(EditionError) as exc:
        collect_into([str(source)], issue)
    assert error_text(exc) == [f"{source}{message}"]
    assert str(exc.value) == f"{source}{message}"
    assert snapshot(issue) == before


def test_missing_source(issue: Path) -> None:
    missing = issue.parent / "nowhere.txt"
    with pytest.raises(EditionError) as exc:
        collect_into([str(missing)], issue)
    assert error_text(exc) == [
        f"{missing}: error: source file not found (check the path; use - to read standard input) "
        "[collect.missing]"
    ]


def test_into_folder_without_issue_toml(tmp_path: Path) -> None:
    folder = tmp_path / "not-an-issue"
    folder.mkdir()
    with pytest.raises(EditionError) as exc:
        collect_into([str(FIXTURES / "seed.txt")], folder)
    assert error_text(exc) == [
        f"{folder}: error: not an issue folder: issue.toml is missing (pass the issue folder with "
        "--into, e.g. --into issues/2024-05) [collect.not-issue]"
    ]
    assert list(folder.iterdir()) == []


def test_broken_issue_toml(issue: Path) -> None:
    (issue / "issue.toml").write_text("number = 1\n[[rubrics]\n", encoding="utf-8")
    with pytest.raises(EditionError) as exc:
        collect_into([str(FIXTURES / "seed.txt")], issue)
    (finding,) = exc.value.findings
    assert finding.code == "collect.issue-toml"
    assert finding.location is not None and finding.location.line == 2
    assert not (issue / "articles").exists()


def test_nothing_written_when_one_of_two_sources_is_bad(issue: Path) -> None:
    bad = issue.parent / "kosong.txt"
    bad.write_bytes(b"")
    before = snapshot(issue)
    with pytest.raises(EditionError) as exc:
        collect_into([str(FIXTURES / "seed.txt"), str(bad)], issue)
    assert error_text(exc) == [
        f"{bad}: error: source is empty (save the article text or the web page into it) "
        "[collect.empty]"
    ]
    assert snapshot(issue) == before
    assert not (issue / "articles").exists()


def test_all_findings_reported_together(tmp_path: Path) -> None:
    bad = tmp_path / "bin.txt"
    bad.write_bytes(b"\x00")
    with pytest.raises(EditionError) as exc:
        collect_into([str(bad), str(tmp_path / "missing.txt")], tmp_path)
    assert [f.code for f in exc.value.findings] == [
        "collect.not-issue",
        "collect.binary",
        "collect.missing",
    ]


def test_same_article_twice_in_one_run(issue: Path) -> None:
    seed = str(FIXTURES / "seed.txt")
    with pytest.raises(EditionError) as exc:
        collect_into([seed, seed], issue)
    assert error_text(exc) == [
        f"{seed}: error: two sources give the same article '{SEED_SLUG}' (also from {seed}) "
        "(collect them one at a time) [collect.duplicate]"
    ]


# --------------------------------------------------------------------------- writing


def test_collect_into_writes_article_and_appends_slug(issue: Path) -> None:
    articles = collect_into([str(FIXTURES / "seed.txt"), str(FIXTURES / "full_page.html")], issue)
    assert [a.slug for a in articles] == [SEED_SLUG, "drone-buatan-dalam-negeri-lolos-uji"]
    written = (issue / "articles" / f"{SEED_SLUG}.md").read_text(encoding="utf-8")
    assert written == render_article_file(articles[0])
    toml = (issue / "issue.toml").read_text(encoding="utf-8")
    assert toml == ISSUE_TOML.replace(
        'articles = ["drone-lokal"]',
        f'articles = ["drone-lokal", "{SEED_SLUG}", "drone-buatan-dalam-negeri-lolos-uji"]',
    )
    assert sorted(p.name for p in issue.rglob("*")) == sorted(
        ["issue.toml", "articles", f"{SEED_SLUG}.md", "drone-buatan-dalam-negeri-lolos-uji.md"]
    )


def test_collect_into_named_rubric_keeps_multiline_array_and_comments(issue: Path) -> None:
    collect_into([str(FIXTURES / "seed.txt")], issue, rubric="Laporan Utama")
    toml = (issue / "issue.toml").read_text(encoding="utf-8")
    assert toml == ISSUE_TOML.replace(
        '    "kapal-selam-doktrin",\n', f'    "kapal-selam-doktrin",\n    "{SEED_SLUG}",\n'
    )


def test_collect_into_creates_missing_rubric_after_the_others(issue: Path) -> None:
    collect_into([str(FIXTURES / "antara_style.txt")], issue, rubric="Ekonomi Pertahanan")
    toml = (issue / "issue.toml").read_text(encoding="utf-8")
    new = (
        '[[rubrics]]\nname = "Ekonomi Pertahanan"\n'
        'articles = ["pemerintah-tambah-anggaran-pemeliharaan-alutsista-tahun"]\n\n'
    )
    assert toml == ISSUE_TOML.replace("[imprint]\n", new + "[imprint]\n")


def test_collect_into_issue_without_rubrics(tmp_path: Path) -> None:
    (tmp_path / "issue.toml").write_text("number = 7  # nomor\n", encoding="utf-8")
    collect_into([str(FIXTURES / "seed.txt")], tmp_path)
    toml = (tmp_path / "issue.toml").read_text(encoding="utf-8")
    assert toml.startswith("number = 7  # nomor\n")
    assert tomllib.loads(toml)["rubrics"] == [{"name": "Berita", "articles": [SEED_SLUG]}]


def test_existing_article_needs_force(issue: Path) -> None:
    target = issue / "articles" / f"{SEED_SLUG}.md"
    target.parent.mkdir()
    target.write_text("hand-edited\n", encoding="utf-8")
    before = snapshot(issue)
    with pytest.raises(EditionError) as exc:
        collect_into([str(FIXTURES / "seed.txt")], issue)
    assert error_text(exc) == [
        f"{target}: error: article '{SEED_SLUG}' already exists (use --force to overwrite it) "
        "[collect.exists]"
    ]
    assert snapshot(issue) == before

    collect_into([str(FIXTURES / "seed.txt")], issue, force=True)
    assert target.read_text(encoding="utf-8").startswith("---\ntitle: Pererat")
    collect_into([str(FIXTURES / "seed.txt")], issue, force=True)
    toml = (issue / "issue.toml").read_text(encoding="utf-8")
    assert toml.count(SEED_SLUG) == 1


def test_collect_from_stdin(issue: Path) -> None:
    data = (FIXTURES / "seed.txt").read_bytes()
    (article,) = collect_into(["-"], issue, stdin=io.BytesIO(data))
    assert article.source == "stdin"
    assert article.front_matter["source"] == "stdin"
    assert (issue / "articles" / f"{SEED_SLUG}.md").exists()


def test_written_files_keep_mode_and_leave_no_temp_files(issue: Path) -> None:
    toml = issue / "issue.toml"
    toml.chmod(0o640)
    collect_into([str(FIXTURES / "seed.txt")], issue)
    assert toml.stat().st_mode & 0o777 == 0o640
    assert (issue / "articles" / f"{SEED_SLUG}.md").stat().st_mode & 0o777 == 0o644
    assert not [p for p in issue.rglob("*") if p.name.endswith(".tmp")]
