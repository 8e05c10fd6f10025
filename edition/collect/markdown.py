"""Collected paragraphs as Markdown, with what CommonMark would misread escaped."""

from __future__ import annotations

import re

from edition.collect.blocks import Block


def escape_markdown(text: str) -> str:
    """Escape what CommonMark would read as markup in a plain-text paragraph."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*_`<\[\]])", r"\\\1", text)
    text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
    lines = []
    for line in text.split("\n"):
        if re.match(r"#{1,6}(\s|$)", line) or re.match(r"[-+>=~]", line):
            line = "\\" + line
        else:
            line = re.sub(r"^(\d{1,9})([.)])(?=\s|$)", r"\1\\\2", line)
        lines.append(line)
    return "\n".join(lines)


def render_block(block: Block) -> str:
    if block.kind == "h":
        return "## " + escape_markdown(block.text).lstrip("\\")
    if block.kind == "list":
        return "\n".join("- " + escape_markdown(item) for item in block.text.split("\n"))
    if block.kind == "quote":
        return "> " + escape_markdown(block.text)
    return escape_markdown(block.text)
