"""edition: build print, screen and archive PDFs of a magazine issue."""

__version__ = "0.1.0"
