"""Helpers for testing code that uses dayafter (hypothesis strategies, small territories)."""
