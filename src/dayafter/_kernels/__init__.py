"""Numba kernels over flat arrays (private)."""
