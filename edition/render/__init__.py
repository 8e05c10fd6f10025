"""Plan + layout -> HTML (Jinja2, sandboxed, autoescaped) and the CSS the layout cannot know."""
