"""Convergence diagnostics across chains: split R-hat and effective sample size.

Both follow Gelman et al., *Bayesian Data Analysis* (3rd ed., 2013), section 11.4-11.5, as used
in Stan: chains are split in halves, R-hat compares between- and within-half variances, and the
effective sample size sums autocorrelations up to Geyer's initial monotone sequence.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["effective_sample_size", "split_rhat"]


def _as_chains(draws: ArrayLike) -> np.ndarray:
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError("draws must be (chains, steps)")
    return x


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    if half < 2:
        return x
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half:]], axis=0)


def split_rhat(draws: ArrayLike) -> float:
    """Split potential scale reduction factor of ``(chains, steps)`` draws.

    Returns NaN with fewer than 4 draws per chain, and 1.0 when every draw is the same.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(split_rhat(rng.normal(size=(4, 1000))), 2)
    1.0
    """
    x = _as_chains(draws)
    if x.shape[1] < 4:
        return float("nan")
    s = _split(x)
    m, n = s.shape
    means = s.mean(axis=1)
    w = s.var(axis=1, ddof=1).mean()
    b = n * means.var(ddof=1) if m > 1 else 0.0
    if w == 0:
        return 1.0 if b == 0 else float("inf")
    var_plus = (n - 1) / n * w + b / n
    return float(np.sqrt(var_plus / w))


def _autocov(x: np.ndarray) -> np.ndarray:
    n = x.size
    y = x - x.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(y, size)
    acov = np.fft.irfft(f * np.conj(f), size)[:n] / n
    return acov


def effective_sample_size(draws: ArrayLike) -> float:
    """Effective sample size of ``(chains, steps)`` draws (multi-chain, Geyer truncation).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> 3000 < effective_sample_size(rng.normal(size=(4, 1000))) < 5000
    True
    """
    x = _as_chains(draws)
    m, n = x.shape
    if n < 4:
        return float("nan")
    acov = np.array([_autocov(c) for c in x])
    chain_var = acov[:, 0] * n / (n - 1)
    w = chain_var.mean()
    if w == 0:
        return float(m * n)
    means = x.mean(axis=1)
    var_plus = (n - 1) / n * w + (means.var(ddof=1) if m > 1 else 0.0)
    rho = 1.0 - (w - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer: sum pairs while positive, forced monotone
    total = 0.0
    prev = np.inf
    t = 0
    while t + 1 < n:
        pair = rho[t] + rho[t + 1]
        if pair < 0:
            break
        pair = min(pair, prev)
        total += pair
        prev = pair
        t += 2
    tau = -1.0 + 2.0 * total
    tau = max(tau, 1.0 / np.log10(m * n + 10))
    return float(m * n / tau)
