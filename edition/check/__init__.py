"""Preflight: what a print shop, an archive or a screen reader would send back."""
