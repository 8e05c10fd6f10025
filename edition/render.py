"""Page plan + layout -> one HTML document (Jinja2, autoescaped)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import text
from .errors import EditionError
from .images import cmyk_profile_path
from .layout import share_dir
from .plan import HALF_AD_HEIGHT, ArticleSection, Plan
from .profiles import Profile

SCRIM_OPACITY = 0.62  # black behind type set on a photo


def css_color(cmyk: list[float], profile: Profile, alpha: float = 1.0) -> str:
    """A layout colour (CMYK percentages) as CSS: device-cmyk() for print, rgb() otherwise."""
    c, m, y, k = (v / 100 for v in cmyk)
    a = f" / {alpha:.3g}" if alpha < 1 else ""
    if profile.cmyk:
        return f"device-cmyk({c:.3g} {m:.3g} {y:.3g} {k:.3g}{a})"
    r, g, b = (round(255 * (1 - v) * (1 - k)) for v in (c, m, y))
    return f"rgb({r} {g} {b}{a})"


def generated_css(plan: Plan, profile: Profile) -> str:
    """What the layout's CSS cannot know: fonts, colours, page geometry, per-article pages."""
    layout = plan.layout
    page = layout.page
    fonts = share_dir("assets") / "fonts"
    out = []
    if profile.cmyk:
        # Declaring the CMYK space gives the PDF/X output intent and ICC-based CMYK colours.
        out.append(f'@color-profile device-cmyk {{ src: url("{cmyk_profile_path().as_uri()}"); '
                   f"components: c, m, y, k; }}")
    for font in layout.fonts:
        for key, file in font["files"].items():
            weight = key.rstrip("i")
            style = "italic" if key.endswith("i") else "normal"
            out.append(f'@font-face {{ font-family: "{font["family"]}"; '
                       f'src: url("{(fonts / file).as_uri()}"); font-weight: {weight}; '
                       f"font-style: {style}; }}")
    out.append(":root {")
    for name, value in layout.colors.items():
        out.append(f"  --{name}: {css_color(value, profile)};")
    out.append(f"  --scrim: {css_color([0, 0, 0, 100], profile, SCRIM_OPACITY)};")
    out.append("}")
    for rubric, value in layout.accents.items():
        out.append(f'[data-rubric="{_css_string(rubric)}"] '
                   f"{{ --accent: {css_color(value, profile)}; }}")
    bleed = f"{page.bleed}mm" if profile.bleed else "0"
    # Crop marks are added after rendering, outside the bleed (see marks.py).
    out.append(f"@page {{ size: {page.width}mm {page.height}mm; bleed: {bleed}; }}")
    spec = plan.issue.spec
    edition = f"Edisi {spec.number} · {text.month_year(spec.date, spec.language)}"
    out.append(f'body {{ string-set: magazine "{_css_string(spec.magazine)}", '
               f'edition "{_css_string(edition)}"; }}')
    for s in plan.articles:
        out.append(f".story-{s.number} {{ page: {s.page_name}; }}")
        if s.half_ad is not None:
            # The half-page ad sits in the bottom margin of one page of the article.
            out.append(f".halfad-{s.number} {{ position: running(halfad{s.number}); }}")
            out.append(
                f"@page :nth({s.half_ad_page} of {s.page_name}) {{ margin-bottom: "
                f"{page.bottom + HALF_AD_HEIGHT + 12}mm; "
                f"@bottom-center {{ content: element(halfad{s.number}); "
                f"width: {layout.text_width}mm; "
                f"vertical-align: top; padding-top: 12mm; }} "
                f"@bottom-left {{ vertical-align: bottom; padding-bottom: 9mm; }} "
                f"@bottom-right {{ vertical-align: bottom; padding-bottom: 9mm; }} }}")
    return "\n".join(out)


def _css_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class Renderer:
    """The layout's templates, compiled once, rendering the edition or any run of its sections.

    `pages` maps anchors (`art-slug`, `berita-terbaru`, ...) to page numbers when they
    are known before layout (the section-by-section build); the templates then write the
    number, and otherwise leave it to CSS `target-counter()`. `extra_css` goes after the
    generated CSS (a section's first page number, for instance).
    """

    def __init__(self, plan: Plan, profile: Profile, bytecode_dir: Path | None = None) -> None:
        self.plan, self.profile = plan, profile
        layout = plan.layout
        env = layout.environment(plan.issue.root, bytecode_dir)
        lang = plan.issue.spec.language
        env.filters["md"] = text.inline_markdown
        env.filters["mdblock"] = text.block_markdown
        env.filters["long_date"] = lambda d: text.long_date(d, lang)
        env.filters["short_date"] = lambda d: text.short_date(d, lang)
        env.filters["month_year"] = lambda d: text.month_year(d, lang)
        env.filters["uri"] = lambda p: Path(p).resolve().as_uri()
        try:
            self.template = env.get_template("edition.html.j2")
        except jinja2.TemplateNotFound as exc:
            searched = ", ".join(str(p) for p in env.globals["searched"])  # type: ignore[union-attr]
            raise EditionError.single(f"template '{exc.name}' not found (searched {searched})",
                                      None, None,
                                      "restore the template or choose another layout",
                                      "layout.template") from None
        self.stylesheets = [p.resolve().as_uri() for p in layout.stylesheets]

    def html(self, sections: list | None = None, pages: dict[str, int] | None = None,
             extra_css: str = "", *, placeholders: bool = False) -> str:
        """With `placeholders`, page numbers are left as markers for `fill_pages`: the
        same HTML then serves every position a section may take."""
        plan = self.plan
        if sections is not None:
            plan = dataclasses.replace(plan, sections=sections)
        known = pages or {}

        def page_of(anchor: str) -> str:
            if placeholders:
                return f"{_PAGE}{anchor}{_END}"
            return str(known[anchor]) if anchor in known else ""

        def page_ref(ref: str | None) -> str:
            anchor = (ref or "").lstrip("#")
            if placeholders:
                return f"{_REF}{anchor}{_END}"
            return f"hlm. {known[anchor]}" if anchor in known else ""

        spec = plan.issue.spec
        css = generated_css(plan, self.profile) + ("\n" + extra_css if extra_css else "")
        return self.template.render(
            plan=plan, issue=spec, profile=self.profile, sections=plan.sections,
            generated_css=Markup(css), stylesheets=self.stylesheets,
            layout=plan.layout, ArticleSection=ArticleSection, lang=spec.language,
            page_of=page_of, page_ref=page_ref,
        )


# Markers of page numbers not known yet (characters of Unicode's private use area).
_PAGE, _REF, _END = "\ue000", "\ue002", "\ue001"
_MARK = re.compile(f"([{_PAGE}{_REF}])([^{_END}]*){_END}")


def fill_pages(html: str, pages: dict[str, int], extra_css: str = "") -> str:
    """A section's HTML with placeholders -> its HTML at a place: the page numbers it shows
    (the layout's format: a bare number, or "hlm. N"), and CSS of its own (its first
    page number) at the end of the document's generated stylesheet."""

    def number(m: re.Match) -> str:
        page = pages.get(m.group(2))
        if page is None:
            return ""  # left to target-counter()
        return str(page) if m.group(1) == _PAGE else f"hlm. {page}"

    html = _MARK.sub(number, html)
    if extra_css:
        html = html.replace("</style>", f"{extra_css}\n</style>", 1)
    return html


def render_html(plan: Plan, profile: Profile) -> str:
    """The whole edition as one HTML document; photos must already be prepared."""
    return Renderer(plan, profile).html()
