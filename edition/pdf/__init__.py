"""HTML -> PDF: the only package that imports WeasyPrint (one pass, or section by section)."""
