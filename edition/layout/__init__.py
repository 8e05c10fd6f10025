"""Layouts are folders: layout.toml (validated), Jinja2 templates and CSS, with `extends`."""
