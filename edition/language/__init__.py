"""Language rules of the text: dates in the issue's language, Indonesian hyphenation."""
