"""Proofs from a built PDF: page and spread images, a contact sheet, booklet imposition."""
