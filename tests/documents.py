"""Documents made at test time by the tools that make them in real life.

PDFs are written by fpdf2 (running header and footer, a word hyphenated at a
line's end, a paragraph cut by a page break), a scanned page is an image with
no text layer, encrypted PDFs are written by pypdf, .docx files by python-docx,
and HTML pages are saved the way a browser's "Save Page As" saves them: the
``saved from url`` comment, navigation, cookie banner, scripts and footer
around the article, and a ``<name>_files/`` folder of images and styles.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["make_docx", "make_encrypted_pdf", "make_guideline_pdf", "make_saved_page", "make_scanned_pdf"]

GUIDELINE_PARAGRAPHS = (
    "Consider a group exercise programme (biomechanical, aerobic, mind-body or a combination of "
    "approaches) for people with a specific episode or flare-up of low back pain with or without "
    "sciatica. Take people's specific needs, preferences and capabilities into account.",
    "Do not offer belts or corsets for managing low back pain with or without sciatica. Do not "
    "offer foot orthotics for managing low back pain with or without sciatica. Referral for "
    "physio-\ntherapy is an option when exercise alone does not help.",
)
PAGE_TWO = (
    "Consider manual therapy (spinal manipulation, mobilisation or soft tissue techniques "
    "such as massage) for managing low back pain with or without sciatica, but only as "
    "part of a treatment package including exercise, with or without psychological "
    "therapy, as the guideline"
)
PAGE_THREE_CONTINUATION = (
    "committee recommends for people whose pain has lasted for a long "
    "time and who are not improving with other care."
)
RUNNING_HEAD = "NICE guideline NG59 - Low back pain and sciatica in over 16s"


def make_guideline_pdf(path: Path, *, title: str = "NICE NG59") -> Path:
    from fpdf import FPDF

    class Guideline(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, RUNNING_HEAD, align="C")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 10, f"Page {self.page_no()} of 3", align="C")

    pdf = Guideline()
    pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    for paragraph in GUIDELINE_PARAGRAPHS:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(6)
    pdf.add_page()
    pdf.multi_cell(0, 6, PAGE_TWO)
    pdf.add_page()
    pdf.multi_cell(0, 6, PAGE_THREE_CONTINUATION)
    pdf.output(str(path))
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A page that is only a picture of text, as a scanner without OCR makes it."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    picture = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(picture)
    for row in range(40):
        draw.rectangle((60, 60 + row * 25, 60 + (row * 37) % 700 + 80, 72 + row * 25), fill=40)
    image = path.with_suffix(".png")
    picture.save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=0, y=0, w=210)
    pdf.output(str(path))
    image.unlink()
    return path


def make_encrypted_pdf(path: Path, *, user_password: str) -> Path:
    """The guideline, encrypted by pypdf (RC4-128, readable without extra packages)."""
    from pypdf import PdfReader, PdfWriter

    plain = make_guideline_pdf(path.with_name(path.stem + "-plain.pdf"))
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "Clinic handout: the SI joint"
    document.add_heading("Clinic handout: the SI joint", level=0)
    document.add_heading("What the SI joint is", level=1)
    document.add_paragraph(
        "The sacroiliac joint connects the base of the spine to the pelvis. "
        "It moves only a little, but it carries the weight of the upper body."
    )
    document.add_heading("Exercises", level=1)
    document.add_paragraph(
        "A gentle knee-to-chest stretch, done slowly on both sides, often eases "
        "sacroiliac joint pain within a few days."
    )
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Bridge exercise for the SI joint"
    table.cell(0, 1).text = "Ten slow repetitions, twice a day, stopping if the pain gets worse"
    table.cell(1, 0).text = "Clamshell exercise"
    table.cell(1, 1).text = "Ten on each side, keeping the feet together and the hips still"
    document.save(str(path))
    return path


SAVED_PAGE = """<!DOCTYPE html>
<!-- saved from url=(0048)https://www.example.org/conditions/sciatica/care -->
<html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sciatica self-care | Example Clinic</title>
{canonical}
<link rel="stylesheet" href="./{stem}_files/style.css">
<script src="./{stem}_files/analytics.js"></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
</head>
<body>
<header><img src="./{stem}_files/logo.png" alt="Example Clinic">
<nav><ul><li><a href="https://www.example.org/">Home</a></li><li><a href="https://www.example.org/conditions">Conditions A to Z</a></li>
<li><a href="https://www.example.org/contact">Contact us</a></li><li><a href="https://www.example.org/login">Log in to your account</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie">We use cookies to make this website work and to improve it. <button>Accept all cookies</button></div>
<main><article>
<h1>Sciatica self-care</h1>
<p>Sciatica is pain that travels along the sciatic nerve, from the lower back through the buttock and down the leg. Most cases get better on their own within four to six weeks.</p>
<h2>Stretches that help</h2>
<p>A gentle knee-to-chest stretch can ease the pressure on the nerve. Lie on your back, bring one knee towards your chest and hold it for twenty to thirty seconds.</p>
<p>The piriformis stretch also helps: cross one ankle over the other knee and pull the uncrossed leg gently towards you until you feel the stretch in your buttock.</p>
<h2>When to see a doctor</h2>
<p>See a doctor if the pain lasts longer than six weeks, keeps getting worse, or stops you from doing your everyday activities.</p>
</article>
<aside><h3>Related</h3><ul><li><a href="https://www.example.org/a">Back pain</a></li><li><a href="https://www.example.org/b">Slipped disc</a></li></ul></aside>
</main>
<footer><p>Sign up for our newsletter for monthly health tips.</p><p>© 2026 Example Clinic. All rights reserved. Registered charity 123456.</p></footer>
</body></html>
"""


def make_saved_page(folder: Path, stem: str = "sciatica-care", *, canonical: bool = True) -> Path:
    """An article page as Chromium's "Save Page As, Webpage Complete" leaves it on disk."""
    link = (
        '<link rel="canonical" href="https://www.example.org/conditions/sciatica/care">' if canonical else ""
    )
    page = folder / f"{stem}.html"
    page.write_text(SAVED_PAGE.format(canonical=link, stem=stem), encoding="utf-8")
    resources = folder / f"{stem}_files"
    resources.mkdir()
    (resources / "style.css").write_text("body { font-family: sans-serif; }\n")
    (resources / "analytics.js").write_text("console.log('page view');\n")
    (resources / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    return page
