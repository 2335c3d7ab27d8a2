"""HTML to PDF with WeasyPrint: the system's pango and fontconfig lay the text out (the
Noto CJK fonts for Chinese), the SVG charts stay vector, and nothing is fetched: a URL the
HTML names is refused, so a brief never waits on a network."""

from __future__ import annotations


def _no_fetch(url: str, *args, **kwargs):
    if url.startswith("data:"):  # the document's own bytes, nothing fetched
        import weasyprint

        return weasyprint.default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"the brief fetches nothing: {url}")


def to_pdf(html: str) -> bytes:
    import weasyprint  # a second to import: only when a PDF is asked for

    return weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf()
