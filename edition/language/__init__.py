"""Language rules of the text: Indonesian hyphenation, by syllables and affixes (PUEBI/KBBI)."""
