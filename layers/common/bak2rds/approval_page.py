"""The approval API's HTML: one small page, every value escaped, no script.

Everything that reaches the page (database name, S3 key, user agent, error text) can be
chosen by someone else, so each value goes through ``html.escape`` (quotes included) and the
page carries a Content-Security-Policy without scripts. ``frame-ancestors 'none'`` stops
another site from framing the buttons (clickjacking); ``Referrer-Policy: no-referrer`` keeps
the signed link out of the Referer header of anything the page loads or links to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
TONES = ("info", "ok", "warning", "error")


@dataclass(frozen=True)
class DecisionForm:
    expires: str
    signature: str
    primary: str  # "approve" or "reject": the button the link was for


@dataclass(frozen=True)
class Page:
    status_code: int
    title: str
    tone: str
    paragraphs: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    form: DecisionForm | None = None
    log: dict[str, str] = field(default_factory=dict)  # what the API logs about this outcome

    def __post_init__(self) -> None:
        if self.tone not in TONES:
            raise ValueError(f"unknown tone {self.tone!r}")


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;
color:#1d2330}
main{max-width:40rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}
.tone{border-left:6px solid;padding-left:1rem}
.info{border-color:#2f6fde}.ok{border-color:#1f8a4c}.warning{border-color:#c77700}
.error{border-color:#c62828}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}
dt{color:#596273}dd{margin:0;overflow-wrap:anywhere}
form{display:flex;gap:1rem;margin-top:1.5rem}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #8a93a3;
background:#fff;cursor:pointer}
button.primary.approve{background:#1f8a4c;border-color:#1f8a4c;color:#fff}
button.primary.reject{background:#c62828;border-color:#c62828;color:#fff}
footer{color:#596273;font-size:.85rem;margin-top:2rem}
"""


def render(page: Page) -> str:
    facts = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in page.facts)
    paragraphs = "".join(f"<p>{_e(text)}</p>" for text in page.paragraphs)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{_e(page.title)} - bak2rds</title><style>{_STYLE}</style></head>"
        f'<body><main><div class="tone {_e(page.tone)}"><h1>{_e(page.title)}</h1>'
        f"{paragraphs}</div>"
        + (f"<dl>{facts}</dl>" if facts else "")
        + (_form(page.form) if page.form else "")
        + "<footer>bak2rds cutover approval. Opening this page changes nothing; only a "
        "button does.</footer></main></body></html>\n"
    )


def _form(form: DecisionForm) -> str:
    def button(decision: str, label: str) -> str:
        primary = " primary" if decision == form.primary else ""
        autofocus = " autofocus" if decision == form.primary else ""
        return (
            f'<button type="submit" name="decision" value="{decision}" '
            f'class="{decision}{primary}"{autofocus}>{label}</button>'
        )

    # No action attribute: the form posts back to the same URL (the same API route).
    return (
        '<form method="post">'
        f'<input type="hidden" name="expires" value="{_e(form.expires)}">'
        f'<input type="hidden" name="signature" value="{_e(form.signature)}">'
        + button("approve", "Approve cutover")
        + button("reject", "Reject cutover")
        + "</form>"
    )


def _e(value: object) -> str:
    return escape(str(value), quote=True)
