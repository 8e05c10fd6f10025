"""The one way WeasyPrint may read a resource: files under the allowed folders, nothing else.

`FetchRules` holds the rules (which folders, which prepared photos) and needs no
WeasyPrint, so a build that has nothing to lay out never imports it; `SafeFetcher`, the
`weasyprint.urls.URLFetcher` that applies them, is made on first use.
"""

from __future__ import annotations

import contextlib
import functools
import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from edition.errors import EditionError, Finding, Severity
from edition.pdf.engine import weasyprint

# Prepared photos are given to WeasyPrint under URLs named by their content, not by where
# the cache is: WeasyPrint names images after their URL, and the PDF must not change
# when the cache folder does.
PREPARED_SCHEME = "edition-photo"

MAX_DATA_URL = 256 * 1024


class FetchRules:
    """The folders resources may come from, and the prepared photos by their URL.

    Every refusal is remembered as a finding; the resource simply does not reach the PDF.
    """

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [r.resolve() for r in roots]
        self.refused: list[Finding] = []
        self.prepared: dict[str, Path] = {}  # edition-photo:<name> -> file in the cache
        # Prepared photos whose file holds a stand-in while the layout is made: WeasyPrint
        # reads their pixels from the file again only when it writes the PDF.
        self.late: set[str] = set()

    def add_prepared(self, path: Path) -> str:
        """The URL under which a prepared photo is given to WeasyPrint."""
        url = f"{PREPARED_SCHEME}:{path.name}"
        self.prepared[url] = path
        return url

    def allowed(self, path: Path) -> bool:
        """A regular file under one of the roots, once every symlink is followed."""
        try:
            real = path.resolve()
            return real.is_file() and any(real.is_relative_to(r) for r in self.roots)
        except (OSError, ValueError, RuntimeError):  # a NUL in the URL, a symlink loop
            return False

    def _refuse(self, url: str) -> None:
        shown = url if len(url) < 120 else url[:117] + "..."
        finding = Finding(
            f"refused to load '{shown}'",
            None,
            "only files inside the issue, the layout and assets/ can be used",
            "safety.fetch",
            Severity.WARNING,
        )
        if finding not in self.refused:
            self.refused.append(finding)


@functools.cache
def _safe_fetcher_class() -> type:
    weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeFetcher(FetchRules, URLFetcher):
        """WeasyPrint's only way to read a resource: files under the allowed folders."""

        def __init__(self, roots: list[Path]) -> None:
            URLFetcher.__init__(self, allowed_protocols={"file", "data"}, allow_redirects=False)
            FetchRules.__init__(self, roots)

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            parsed = urlparse(url)
            if parsed.scheme == PREPARED_SCHEME and url in self.prepared:
                path = self.prepared[url]
                # (a response that names a file makes WeasyPrint read it when it draws)
                named = path.as_uri() if url in self.late else url
                return URLFetcherResponse(named, path.read_bytes(), {"Content-Type": "image/jpeg"})
            if parsed.scheme == "data" and len(url) <= MAX_DATA_URL:
                return super().fetch(url, headers)
            if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
                path = Path(unquote(parsed.path))
                if self.allowed(path):
                    real = path.resolve()
                    return URLFetcherResponse(
                        real.as_uri(), real.read_bytes(), {"Content-Type": _mime(real)}
                    )
            self._refuse(url)
            raise ValueError(f"refused: {url[:120]}")

    return SafeFetcher


def safe_fetcher(rules: FetchRules) -> Any:
    """A WeasyPrint URL fetcher applying `rules` (sharing its prepared photos and refusals)."""
    fetcher = _safe_fetcher_class()(list(rules.roots))
    fetcher.prepared = rules.prepared
    fetcher.refused = rules.refused
    fetcher.late = rules.late
    return fetcher


def _mime(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@contextlib.contextmanager
def refusals_end_in_a_finding() -> Iterator[None]:
    """WeasyPrint goes on without a refused image or stylesheet, but a refused source of
    an `@color-profile` rule ends its rendering: that is one line, not a crash."""
    weasyprint()
    from weasyprint.urls import URLFetchingError

    try:
        yield
    except URLFetchingError as exc:
        reason = str(exc).removeprefix("ValueError: ").removeprefix("refused: ")
        raise EditionError.single(
            f"a stylesheet needs '{reason[:120]}', which is refused",
            hint="only files inside the issue, the layout and assets/ can be used",
            code="safety.fetch",
        ) from None
