"""Copyfit: the laid-out sections' measurements -> adjustments in the layout's own terms."""

from edition.fit.fit import Memory, fit_plan, follow, kept

__all__ = ["Memory", "fit_plan", "follow", "kept"]
