"""The approval page escapes everything it shows and runs no script."""

from __future__ import annotations

from bak2rds.approval.pages import HEADERS, DecisionForm, Page, render

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_every_value_is_escaped() -> None:
    page = Page(
        200,
        f"Cut over [{HOSTILE}]?",
        "info",
        paragraphs=(HOSTILE,),
        facts=((HOSTILE, HOSTILE),),
        form=DecisionForm(expires=HOSTILE, signature=HOSTILE, primary="reject"),
    )
    html = render(page)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="&quot;&gt;&lt;script&gt;' in html  # attributes too
    assert 'class="reject primary" autofocus' in html


def test_the_page_forbids_scripts_framing_and_referrers() -> None:
    assert "default-src 'none'" in HEADERS["Content-Security-Policy"]
    assert "script-src" not in HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in HEADERS["Content-Security-Policy"]
    assert HEADERS["Referrer-Policy"] == "no-referrer"
    assert HEADERS["Cache-Control"] == "no-store"
    html = render(Page(404, "Not found", "error"))
    assert "<form" not in html and "<script" not in html
