"""Plan + layout -> HTML: the edition, or any run of its sections (Jinja2, sandboxed)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping

import jinja2
from markupsafe import Markup, escape

from edition.errors import EditionError
from edition.issue.markdown import block_markdown, inline_markdown
from edition.language.dates import long_date, month_year, short_date
from edition.language.hyphenate import protect_html
from edition.language.typography import bind_last_words, typographic
from edition.layout.templates import environment, template_folders
from edition.plan.model import ArticleSection, ImageRequest, Plan, Section, Slot
from edition.profiles import Profile
from edition.render.css import generated_css


class Renderer:
    """The layout's templates, compiled once, rendering the edition or any run of its sections.

    `photo_urls` gives the URL of each placed photo's prepared file (the `src` filter of
    the templates). `pages` maps anchors (`art-slug`, `berita-terbaru`, ...) to page
    numbers when they are known before layout (the section-by-section build); the
    templates then write the number, and otherwise leave it to CSS `target-counter()`.
    `extra_css` goes after the generated CSS (a section's first page number, for instance).
    """

    def __init__(
        self, plan: Plan, profile: Profile, photo_urls: Mapping[ImageRequest, str] | None = None
    ) -> None:
        self.plan, self.profile = plan, profile
        layout = plan.layout
        env = environment(layout, plan.issue.root)
        lang = plan.issue.spec.language
        urls = photo_urls or {}
        self.strings = layout.text(lang)
        env.filters["md"] = inline_markdown
        env.filters["mdblock"] = block_markdown
        # Typography: `typo` for plain fields (quotes and dashes as the Markdown makes
        # them), `bind` for display lines (never one word alone on the last line), `hy`
        # for running text: the words that must stay whole where they stand marked, for
        # the layout's `hyphens: auto` in Indonesian (see edition/pdf/hyphens.py).
        env.filters["typo"] = typographic
        env.filters["bind"] = bind_last_words
        env.filters["hy"] = hyphenation_marks if _hyphenated(lang) else _as_markup
        env.filters["long_date"] = lambda d: long_date(d, lang)
        env.filters["short_date"] = lambda d: short_date(d, lang)
        env.filters["month_year"] = lambda d: month_year(d, lang)
        env.filters["src"] = lambda slot: (
            urls.get(slot.request, "") if isinstance(slot, Slot) else ""
        )
        try:
            self.template = env.get_template("edition.html.j2")
        except jinja2.TemplateNotFound as exc:
            searched = ", ".join(str(p) for p in template_folders(layout, plan.issue.root))
            raise EditionError.single(
                f"template '{exc.name}' not found (searched {searched})",
                None,
                None,
                "restore the template or choose another layout",
                "layout.template",
            ) from None
        self.stylesheets = [p.resolve().as_uri() for p in layout.stylesheets]

    def html(
        self,
        sections: list[Section] | None = None,
        pages: dict[str, int] | None = None,
        extra_css: str = "",
        *,
        placeholders: bool = False,
        fillers_inline: bool = True,
    ) -> str:
        """With `placeholders`, page numbers are left as markers for `fill_pages`: the
        same HTML then serves every position a section may take. Without
        `fillers_inline`, the bands that fill articles' last pages are left out (the
        section build draws them over the page)."""
        plan = self.plan
        if sections is not None:
            plan = dataclasses.replace(plan, sections=sections)
        known = pages or {}
        page_ref_format = self.strings.page_ref

        def page_of(anchor: str) -> str:
            if placeholders:
                return f"{_PAGE}{anchor}{_END}"
            return str(known[anchor]) if anchor in known else ""

        def page_ref(ref: str | None) -> str:
            anchor = (ref or "").lstrip("#")
            if placeholders:
                return f"{_REF}{anchor}{_END}"
            return page_ref_format.format(page=known[anchor]) if anchor in known else ""

        spec = plan.issue.spec
        css = generated_css(plan, self.profile) + ("\n" + extra_css if extra_css else "")
        return self.template.render(
            plan=plan,
            issue=spec,
            profile=self.profile,
            sections=plan.sections,
            generated_css=Markup(css),
            stylesheets=self.stylesheets,
            layout=plan.layout,
            ArticleSection=ArticleSection,
            lang=spec.language,
            page_of=page_of,
            page_ref=page_ref,
            time_zone=plan.time_zone,
            fillers_inline=fillers_inline,
        )

    def filler_html(self, section: ArticleSection, pages: dict[str, int]) -> Markup:
        """The band that fills an article's last page (`fillers.html.j2`), alone, with the
        page numbers it shows (`pages`: anchor -> 0-based page)."""
        known = {a: p + 1 for a, p in pages.items()}

        def page_ref(ref: str | None) -> str:
            anchor = (ref or "").lstrip("#")
            return self.strings.page_ref.format(page=known[anchor]) if anchor in known else ""

        module = self.template.environment.get_template("fillers.html.j2").make_module(
            {"issue": self.plan.issue.spec, "layout": self.plan.layout, "page_ref": page_ref,
             "plan": self.plan}
        )  # fmt: skip
        return Markup(module.band(section))  # type: ignore[attr-defined]


def _hyphenated(language: str) -> bool:
    """Is text in `language` hyphenated by edition's own rules (Indonesian)?"""
    return language.replace("-", "_").split("_")[0].lower() == "id"


def _as_markup(value: str) -> Markup:
    return value if isinstance(value, Markup) else Markup(escape(value))


def hyphenation_marks(value: str) -> Markup:
    """Running text (escaped, or Markup as it is) with the words that must not be cut
    where they stand (kapal-kapal, an e-mail address) marked `.whole`."""
    return Markup(_protected(str(_as_markup(value))))


@functools.lru_cache(maxsize=1 << 14)
def _protected(fragment: str) -> str:
    """`protect_html` of a fragment, once per process: a build renders a section's HTML
    again for every try of copyfit, and the desk at every edit, paragraphs unchanged."""
    return protect_html(fragment)


# Markers of page numbers not known yet (characters of Unicode's private use area).
_PAGE, _REF, _END = "\ue000", "\ue002", "\ue001"
_MARK = re.compile(f"([{_PAGE}{_REF}])([^{_END}]*){_END}")


def fill_pages(html: str, pages: dict[str, int], page_ref: str, extra_css: str = "") -> str:
    """A section's HTML with placeholders -> its HTML at a place: the page numbers it shows
    (a bare number, or the layout's `page_ref` format: "hlm. {page}"), and CSS of its own
    (its first page number) at the end of the document's generated stylesheet."""

    def number(m: re.Match[str]) -> str:
        page = pages.get(m.group(2))
        if page is None:
            return ""  # left to target-counter()
        return str(page) if m.group(1) == _PAGE else page_ref.format(page=page)

    html = _MARK.sub(number, html)
    if extra_css:
        html = html.replace("</style>", f"{extra_css}\n</style>", 1)
    return html


def render_html(
    plan: Plan, profile: Profile, photo_urls: Mapping[ImageRequest, str] | None = None
) -> str:
    """The whole edition as one HTML document."""
    return Renderer(plan, profile, photo_urls).html()
