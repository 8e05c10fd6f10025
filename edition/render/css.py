"""The CSS a layout's stylesheet cannot know: fonts, colours, page geometry, per-article pages."""

from __future__ import annotations

from edition.language.dates import month_year
from edition.plan.model import Plan
from edition.profiles import Profile
from edition.share import cmyk_profile_path, fonts_dir

SCRIM_OPACITY = 0.62  # black behind type set on a photo


def css_color(cmyk: list[float], profile: Profile, alpha: float = 1.0) -> str:
    """A layout colour (CMYK percentages) as CSS: device-cmyk() for print, rgb() otherwise."""
    c, m, y, k = (v / 100 for v in cmyk)
    a = f" / {alpha:.3g}" if alpha < 1 else ""
    if profile.cmyk:
        return f"device-cmyk({c:.3g} {m:.3g} {y:.3g} {k:.3g}{a})"
    r, g, b = (round(255 * (1 - v) * (1 - k)) for v in (c, m, y))
    return f"rgb({r} {g} {b}{a})"


def css_string(value: str) -> str:
    """`value` for the inside of a double-quoted CSS string in an HTML <style>: quotes and
    backslashes escaped, and every character that could end the string, the rule or the
    <style> element (line breaks, controls, `<`, `>`, `&`) written as a CSS escape."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "<>&" or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


def ua_colours_in_cmyk(ink: list[float], profile: Profile) -> str:
    """The colours WeasyPrint's own stylesheet gives (blue links, a grey inset rule for
    `<hr>`, grey table borders, yellow `<mark>`, the default black text) are RGB, and
    inset, outset, groove and ridge borders are drawn in shades computed in RGB: in the
    print edition they become the layout's ink, in solid lines. `:where()` weighs
    nothing, so every rule of the layout's own stylesheets still wins."""
    text = css_color(ink, profile)
    lines = "border-style: solid; border-color: currentColor"
    return "\n".join(
        (
            f":where(html) {{ color: {text}; }}",
            ":where(:link, :visited, mark) { color: inherit; background: none; }",
            f":where(hr) {{ color: inherit; {lines}; border-width: 0.5pt 0 0 0; }}",
            f":where(iframe, fieldset) {{ {lines}; }}",
            ":where(table, thead, tbody, tfoot, tr, td, th) { border-color: currentColor; }",
            f":where(button, input, select, textarea) {{ {lines}; background: none; }}",
            ":where(input)::before { background: currentColor; }",
        )
    )


def generated_css(plan: Plan, profile: Profile) -> str:
    """What the layout's CSS cannot know: fonts, colours, page geometry, per-article pages."""
    layout = plan.layout
    page = layout.page
    fonts = fonts_dir()
    out = []
    if profile.cmyk:
        # Declaring the CMYK space gives the PDF/X output intent and ICC-based CMYK colours.
        out.append(
            f'@color-profile device-cmyk {{ src: url("{cmyk_profile_path().as_uri()}"); '
            f"components: c, m, y, k; }}"
        )
    for font in layout.fonts:
        for key, file in font.files.items():
            weight = key.rstrip("i")
            style = "italic" if key.endswith("i") else "normal"
            out.append(
                f'@font-face {{ font-family: "{css_string(font.family)}"; '
                f'src: url("{(fonts / file).as_uri()}"); font-weight: {weight}; '
                f"font-style: {style}; }}"
            )
    out.append(":root {")
    for name, value in layout.colors.items():
        out.append(f"  --{name}: {css_color(value, profile)};")
    out.append(f"  --scrim: {css_color([0, 0, 0, 100], profile, SCRIM_OPACITY)};")
    out.append("}")
    for rubric, value in layout.accents.items():
        out.append(
            f'[data-rubric="{css_string(rubric)}"] {{ --accent: {css_color(value, profile)}; }}'
        )
    if profile.cmyk:
        out.append(ua_colours_in_cmyk(layout.colors.get("ink", [0, 0, 0, 100]), profile))
    bleed = f"{page.bleed}mm" if profile.bleed else "0"
    # Crop marks are added after rendering, outside the bleed (see pdf/marks.py).
    out.append(f"@page {{ size: {page.width}mm {page.height}mm; bleed: {bleed}; }}")
    spec = plan.issue.spec
    strings = layout.text(spec.language)
    edition = strings.edition.format(number=spec.number, month=month_year(spec.date, spec.language))
    out.append(
        f'body {{ string-set: magazine "{css_string(spec.magazine)}", '
        f'edition "{css_string(edition)}"; }}'
    )
    ads = layout.ads
    for s in plan.articles:
        out.append(f".story-{s.number} {{ page: {s.page_name}; }}")
        if s.half_ad is not None:
            # The half-page ad sits in the bottom margin of one page of the article.
            out.append(f".halfad-{s.number} {{ position: running(halfad{s.number}); }}")
            out.append(
                f"@page :nth({s.half_ad_page} of {s.page_name}) {{ margin-bottom: "
                f"{page.bottom + ads.half_height + ads.half_gap}mm; "
                f"@bottom-center {{ content: element(halfad{s.number}); "
                f"width: {layout.text_width}mm; "
                f"vertical-align: top; padding-top: {ads.half_gap}mm; }} "
                f"@bottom-left {{ vertical-align: bottom; padding-bottom: {ads.half_folio}mm; }} "
                f"@bottom-right {{ vertical-align: bottom; padding-bottom: "
                f"{ads.half_folio}mm; }} }}"
            )
    return "\n".join(out)
