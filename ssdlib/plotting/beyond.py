"""Figures of the beyond chapter."""

__all__ = []
