"""A normal hierarchical model of one person's per-exercise effects, solved on a grid.

Each exercise ``j`` has a true effect ``theta_j`` for this person; one session of it gives
``y = theta_j + e`` with ``e ~ N(0, sigma^2)`` (the session-to-session noise, shared by the
exercises); the exercises' effects are drawn from ``N(mu, tau^2)``, so an exercise with few
sessions borrows strength from the others ("partial pooling"; Gelman et al., *Bayesian Data
Analysis*, 3rd ed., ch. 5.4, the eight-schools model).

Why a grid and not a plug-in empirical-Bayes estimate: with three to seven exercises ``tau`` is
poorly determined, and intervals that condition on one estimate of it (often exactly 0) cover
the truth too rarely (Morris 1983, *JASA* 78:47). Here ``mu`` has a flat prior and is integrated
in closed form, and ``(sigma, tau)`` are integrated over a 48 x 48 grid with weakly informative
priors on the outcome's scale (BDA3 eq. 5.21 for ``p(tau | y)``; ``sigma`` enters through the
within-exercise sum of squares, so a single session per exercise still gives a posterior). The
result is exact for the model up to the grid, needs numpy only, and takes about a millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

#: Points of the grid over sigma and over tau.
GRID_POINTS: Final = 48
#: The interval reported: 95 % (central).
INTERVAL_LEVEL: Final = 0.95
#: Draws from the joint posterior for the probability that an exercise is the best.
P_BEST_DRAWS: Final = 8000


@dataclass(frozen=True)
class Prior:
    """Weakly informative priors of one outcome.

    ``sigma`` (one session's noise around the exercise's true effect) is log-normal around
    ``sigma_median`` (``sigma_log_sd`` on the log scale); ``tau`` (how much the exercises'
    true effects differ for one person) is half-normal with scale ``tau_scale``.
    """

    sigma_median: float
    sigma_log_sd: float
    tau_scale: float


@dataclass(frozen=True)
class Normal:
    """A posterior summary: mean and the central 95 % interval."""

    mean: float
    low: float
    high: float


class Posterior:
    """The posterior of every exercise's effect, given the sessions of each."""

    def __init__(self, groups: Mapping[str, Sequence[float]], prior: Prior) -> None:
        self.ids: tuple[str, ...] = tuple(groups)
        values = [np.asarray(groups[g], dtype=np.float64) for g in self.ids]
        self.n = np.array([len(v) for v in values], dtype=np.float64)
        self.observed = self.n > 0
        self.ybar = np.array([v.mean() if len(v) else 0.0 for v in values])
        ssw = float(sum(float(((v - v.mean()) ** 2).sum()) for v in values if len(v)))
        n_total = float(self.n.sum())
        j_obs = int(self.observed.sum())
        self._empty = j_obs == 0
        if self._empty:
            return
        # The grids: sigma log-spaced over +/- 3 prior SDs, tau over [0, 4 scales] (midpoints,
        # so tau is never exactly 0 and every conditional posterior stays proper).
        k = np.arange(GRID_POINTS)
        log_sigma = math.log(prior.sigma_median) + prior.sigma_log_sd * (
            -3.0 + 6.0 * (k + 0.5) / GRID_POINTS
        )
        sigma = np.exp(log_sigma)[:, None]  # (S, 1)
        tau = (4.0 * prior.tau_scale * (k + 0.5) / GRID_POINTS)[None, :]  # (1, T)
        log_prior = (
            -0.5 * ((log_sigma[:, None] - math.log(prior.sigma_median)) / prior.sigma_log_sd) ** 2
            - 0.5 * (tau / prior.tau_scale) ** 2
        )
        n_obs = self.n[self.observed]
        y_obs = self.ybar[self.observed]
        s2 = sigma[..., None] ** 2 / n_obs  # (S, 1, J)
        v = s2 + tau[..., None] ** 2  # (S, T, J)
        w = 1.0 / v
        v_mu = 1.0 / w.sum(-1)  # (S, T)
        mu_hat = v_mu * (w * y_obs).sum(-1)
        log_post = (
            log_prior
            - (n_total - j_obs) * np.log(sigma)
            - ssw / (2.0 * sigma**2)
            + 0.5 * np.log(v_mu)
            - 0.5 * np.log(v).sum(-1)
            - 0.5 * (((y_obs - mu_hat[..., None]) ** 2) * w).sum(-1)
        )
        weight = np.exp(log_post - log_post.max())
        weight /= weight.sum()
        keep = weight > 1e-12 * weight.max()
        self._weight = weight[keep]
        self._mu_hat = mu_hat[keep]
        self._v_mu = v_mu[keep]
        tau2 = np.broadcast_to(tau**2, weight.shape)[keep]
        sigma2 = np.broadcast_to(sigma**2, weight.shape)[keep]
        self._tau2 = tau2
        # Per grid point and exercise: theta_j | mu, sigma, tau, y ~ N(b mu + (1-b) ybar, b tau2)
        # with b = (sigma2/n) / (sigma2/n + tau2) = sigma2 / (sigma2 + n tau2): an exercise
        # without sessions has b = 1, its effect N(mu, tau2), what the others suggest.
        b = sigma2[:, None] / (sigma2[:, None] + self.n * tau2[:, None])
        self._b = b  # (G, J)
        self._c = b * tau2[:, None]
        # Marginal (mu integrated): mean b mu_hat + (1-b) ybar, variance c + b^2 v_mu.
        self._mean = b * self._mu_hat[:, None] + (1.0 - b) * self.ybar
        self._var = self._c + b**2 * self._v_mu[:, None]

    def summary(self, exercise: str) -> Normal | None:
        """Posterior mean and 95 % interval of one exercise's effect; None without sessions."""
        j = self.ids.index(exercise)
        if self._empty or not self.observed[j]:
            return None
        mean = float(self._weight @ self._mean[:, j])
        alpha = (1.0 - INTERVAL_LEVEL) / 2.0
        return Normal(mean, self._quantile(j, alpha), self._quantile(j, 1.0 - alpha))

    def _quantile(self, j: int, p: float) -> float:
        """A quantile of the mixture of normals over the grid, by bisection on its CDF."""
        means = self._mean[:, j]
        sds = np.sqrt(self._var[:, j])
        low = float((means - 8.0 * sds).min())
        high = float((means + 8.0 * sds).max())
        for _ in range(60):
            mid = 0.5 * (low + high)
            if float(self._weight @ ndtr((mid - means) / sds)) < p:
                low = mid
            else:
                high = mid
        return 0.5 * (low + high)

    def draws(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
        """``size`` joint draws of every exercise's effect, shape (size, exercises)."""
        if self._empty:
            raise ValueError("no sessions: the posterior is improper")
        g = rng.choice(len(self._weight), size=size, p=self._weight)
        mu = self._mu_hat[g] + np.sqrt(self._v_mu[g]) * rng.standard_normal(size)
        b = self._b[g]
        centre = b * mu[:, None] + (1.0 - b) * self.ybar
        out: NDArray[np.float64] = centre + np.sqrt(self._c[g]) * rng.standard_normal(
            (size, len(self.ids))
        )
        return out

    def p_best(self, among: Sequence[str], rng: np.random.Generator) -> dict[str, float]:
        """The probability that each of ``among`` has the largest effect of them."""
        cols = [self.ids.index(a) for a in among]
        theta = self.draws(rng, P_BEST_DRAWS)[:, cols]
        wins = np.bincount(theta.argmax(1), minlength=len(cols)) / P_BEST_DRAWS
        return {a: float(p) for a, p in zip(among, wins, strict=True)}
