"""Rewrites the README's error table from bak2rds.catalogue (``make catalogue``).

The table starts at its header row and ends at the first blank line after it.
"""

from __future__ import annotations

from pathlib import Path

from bak2rds.catalogue import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "| Code | Cause | What to do |"


def main() -> None:
    text = README.read_text()
    start = text.index(HEADER)
    end = text.find("\n\n", start)
    end = len(text) if end == -1 else end + 1
    README.write_text(text[:start] + markdown_table() + text[end:])
    print(f"{README.name}: error table rewritten from the catalogue")


if __name__ == "__main__":
    main()
