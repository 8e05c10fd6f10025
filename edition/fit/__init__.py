"""Copyfit: the laid-out sections' measurements -> adjustments in the layout's own terms."""

from edition.fit.fit import fit_plan

__all__ = ["fit_plan"]
