r"""Bounds on the KKT error of smoothed sign descent (Theorem 3.9, Appendix B).

Setting (Assumption 3.8, one block, ``N = 1``): the data row is
``x = sqrt(lam) * (cos theta, sin theta)`` with ``|cos theta| >= |sin theta| > 0`` (eq. 21), the
label is ``y != 0`` and ``ybar := y / sqrt(lam)``. Below ``c := |cos theta|``,
``s := |sin theta|``. The smoothed sign descent flow (eq. 16) starts at ``w(0) = alpha * 1`` and
``u_i``, ``v_i`` are the dominating and non-dominating weights of Proposition 3.4. With
``u_i^inf := lim u_i(t)`` (Lemma A.3) the quantity

    Delta := c (u_2^inf - u_2(0)) - s (u_1^inf - u_1(0))

is the signed KKT error: the convergent solution is a delta-KKT point of problem (23) with
``delta = |Delta|`` (Appendix B.1), and Lemmas B.2 and B.3 give ``M_- <= Delta <= M_+``.

Formulas implemented
--------------------
``kkt_bounds_block`` returns the exact expressions of the lemma statements, which are also the
last lines of their proofs:

* Lemma B.2 (page 19 of the PDF)::

      M_+ = (c - s) * (lam**(-1/4) |y|**(1/2) - sqrt(2) eps / (4 lam**(1/2) |y|)).

* Lemma B.3 (page 21), written as ``N_0 + N_1 + N_2`` of Lemma B.4 (page 24)::

      N_0 = (c - s) * ((2 lam)**(-1/4) |y|**(1/2) - alpha)
          # = (c - s)(2**(-1/4) sqrt|ybar| - alpha)
      N_1 = -2 sqrt(2 eps / (lam**(3/4) s |y|**(1/2)))
      N_2 = -3 eps' ln(|ybar|**(1/2) / eps'),   eps' := sqrt(2) eps / (lam s |ybar|)
          = -(3 sqrt(2) eps / (lam**(1/2) s |y|)) ln(lam**(1/4) s |y|**(3/2) / (sqrt(2) eps)).

  The eps-dependent terms ``N_1``, ``N_2`` are *not* multiplied by ``c - s``, in the statement and
  in the proof alike. At ``eps = 0`` the value returned is the limit ``M_-(0+) = N_0`` (Lemma B.4:
  ``eps' ln(1/eps') -> 0``).

No final expression depends on an implicitly defined quantity. The proof of Lemma B.2 does use
one: ``U_hat``, the largest root of the cubic ``p(U) = lam s U (|ybar| + (c+s) alpha**2 - (c+s)
U**2) = eps``. :func:`lemma_b2_intermediates` computes it exactly, by the trigonometric (Viete)
formula for the largest real root of the depressed cubic
``U**3 - (A/B) U + eps/(lam s B) = 0`` with ``A = |ybar| + (c+s) alpha**2``, ``B = c + s``:
``U_hat = 2 sqrt(A/(3B)) cos(arccos(-(3 eps / (2 lam s A)) sqrt(3B/A)) / 3)``.

Discrepancies between the statements and the proofs (checked symbolically and numerically)
------------------------------------------------------------------------------------------
1. **Lemma B.2, eq. (55).** The proof claims ``U_hat < u~_2 := sqrt(|ybar|/(c+s) + alpha**2) -
   eps/(2 lam s |ybar|)`` "by the expansion of the cubic root". This is false in general. With
   ``S := sqrt(A/B)`` (the root for ``eps = 0``) the expansion quoted on page 19 gives
   ``U_hat = S - eps/(2 lam s A) - O(eps**2)``, and ``A > |ybar|``, so the first-order correction is
   *smaller* than the one in ``u~_2``. Exactly (``p`` is decreasing past its maximum, and
   ``u~_2`` lies past it under Assumption 3.3):
   ``U_hat > u~_2  <=>  2 alpha**2 + d**2 > 3 S d`` with ``d := eps / (2 lam s |ybar|)``, which
   holds, for instance, for every fixed ``alpha > 0`` as ``eps -> 0`` and for many points allowed by
   Assumption 3.3 (e.g. ``lam = 1, theta = 0.3, y = 1, alpha = 0.2108, eps = 2.1e-5``:
   ``U_hat = 0.9186005 > u~_2 = 0.9185986``; 42 % of a random admissible sample). In the
   flows we integrated, ``u_2(T) <= u~_2`` still held, so only the justification of (55) fails.
   The lemma itself is true: using ``u_2(T) <= U_hat`` (which the proof does establish) in place of
   ``u~_2`` in (60) gives the repaired bound
   ``M_+^cubic := K (S - U_hat) + (c - s)(U_hat - alpha)``, ``K := c (c - s)/(c + s)``, and even
   more simply ``Delta <= (c - s)(S - alpha)`` (because ``K <= c - s`` and ``u_2^inf >= u_2(T)``).
   Under the lower bound ``alpha >= 9 eps/(4 lam s |ybar|)`` of eq. (19) the slack
   ``(c - s)(sqrt|ybar| - S + alpha) >= 0.88 (c - s) alpha`` that the proof discards in its last
   lines exceeds ``(c - s) sqrt(2) eps/(4 lam |ybar|)``, so
   ``M_+^cubic <= (c - s)(S - alpha) <= M_+``. :func:`kkt_bounds_block` therefore returns the
   stated ``M_+``; :func:`lemma_b2_intermediates` returns ``U_hat``, ``u~_2``, ``S`` and
   ``M_+^cubic``.
2. **Lemma B.3, step (73) -> "u_1^inf <= P + Q".** This needs ``P >= Q``, which can fail at the
   upper end of the eps interval of eq. (18) (e.g. ``lam = 1, theta = 0.3, y = 1`` at
   ``eps = eps_max``, ``alpha = alpha_max``: ``P <= 0.919 < Q = 1.017``). Inequality (73) still
   holds then: ``c u_1^inf**2 <= (c + s) P**2`` gives ``c u_2^inf - s u_1^inf >= -s sqrt((c+s)/c)
   P >= -2 s P > (c - s) P - (c + s) Q``. So Lemma B.3 holds as stated; implemented as stated.
3. **Lemma B.4 ("M_-(0) > 0").** ``M_-(0) = (c - s)(2**(-1/4) sqrt|ybar| - alpha)`` is positive
   only if ``c > s``. Assumption 3.8 allows ``c = s`` (``theta = pi/4``), where ``M_-(0) = 0``
   (and ``Delta = 0``, since then ``u_1 = u_2`` along the flow). The positivity of the second
   factor follows from eq. (19): ``alpha <= (1/3) sqrt(|ybar|/(2(c+s))) < 2**(-1/4) sqrt|ybar|``.
4. **Theorem 3.9 (leading forms).** ``M_+`` differs from its leading form by exactly
   ``-(c - s) sqrt(2) eps/(4 lam**(1/2) |y|)`` (``O(eps)``); ``M_-`` differs by
   ``N_1 + N_2 = -2 sqrt(2 eps/(lam**(3/4) s |y|**(1/2))) + O(eps ln(1/eps))``, an
   ``O(sqrt(eps))`` whose constant grows like ``s**(-1/2)`` (not uniform as ``theta -> 0``).
5. Eqs. (18)-(19) hold per coordinate, so the block's intervals take the minimum (eq. 18, upper
   bound on eps) and the maximum (eq. 19, lower bound on alpha) over ``i``. The alpha interval is
   never empty for ``0 <= eps <= eps_max``: its lower end is at most
   ``(1/4) sqrt(|y| / (2 sum_k |x_k|))``, below the upper end ``(1/3) sqrt(...)``.

The bounds are proved under Assumption 3.3; the functions here evaluate them for any valid
parameters (use :func:`satisfies_assumption_3_3` to check admissibility).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .problem import assumption_3_3_terms

__all__ = [
    "Assumption33Intervals",
    "LemmaB2Intermediates",
    "LemmaB4Terms",
    "assumption_3_3_intervals",
    "corollary_3_10_bound",
    "corollary_3_12_bound",
    "kkt_bounds_block",
    "kkt_bounds_leading",
    "lemma_b2_intermediates",
    "lemma_b4_terms",
    "satisfies_assumption_3_3",
]

_SQRT2 = np.sqrt(2.0)
# |cos theta| >= |sin theta| > 0 is checked up to this absolute tolerance: theta = pi/4 (where
# cos and sin differ in the last bit) is accepted, theta = pi (sin = 1.2e-16) is rejected.
_ANGLE_TOL = 1e-12


class Assumption33Intervals(NamedTuple):
    """Admissible ``eps`` and ``alpha`` of Assumption 3.3 for one block (eqs. 18-19)."""

    eps_max: float
    """Upper end of the eps interval ``[0, eps_max]`` (eq. 18)."""
    alpha_min: np.ndarray
    """Lower end of the alpha interval for the given eps (eq. 19); shape of ``eps``."""
    alpha_max: float
    """Upper end of the alpha interval (eq. 19), independent of eps."""


class LemmaB2Intermediates(NamedTuple):
    """Intermediate quantities of the proof of Lemma B.2 (all of the broadcast shape)."""

    U_hat: np.ndarray
    """Largest root of ``p(U) = eps`` (Step 1), exact; NaN if ``eps > max p``."""
    u2_tilde: np.ndarray
    """``u~_2`` of eq. (55), which the proof claims bounds ``U_hat`` (not always true)."""
    S: np.ndarray
    """``sqrt(|ybar|/(c+s) + alpha**2)``, the bound on ``u_2^inf`` used after eq. (60)."""
    M_plus_cubic: np.ndarray
    """Repaired bound ``K (S - U_hat) + (c - s)(U_hat - alpha)``, ``K = c(c-s)/(c+s)``."""


class LemmaB4Terms(NamedTuple):
    """The decomposition ``M_- = N_0 + N_1 + N_2`` of Lemma B.4 (all of the broadcast shape)."""

    N0: np.ndarray
    N1: np.ndarray
    N2: np.ndarray


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _as_float_array(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` must be a real number or an array of real numbers.") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite; remove NaN and infinite entries.")
    return arr


def _check_lam(lam: np.ndarray) -> None:
    if np.any(lam <= 0):
        raise ValueError(
            "`lam` must be positive (lambda_n > 0, eq. 21); pass the non-zero eigenvalue "
            "|x|**2 of the block."
        )


def _check_theta(theta: np.ndarray) -> None:
    c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta))
    if np.any(s <= _ANGLE_TOL) or np.any(s > c + _ANGLE_TOL):
        raise ValueError(
            "`theta` must satisfy |cos theta| >= |sin theta| > 0 (Assumption 3.8); reorder "
            "the block's columns."
        )


def _check_y(y: np.ndarray) -> None:
    if np.any(y == 0):
        raise ValueError("`y` must be non-zero (Assumption 3.2); drop examples with label 0.")


def _check_alpha(alpha: np.ndarray) -> None:
    if np.any(alpha <= 0):
        raise ValueError(
            "`alpha` must be positive (w(0) = alpha * 1 with alpha > 0); w = 0 is a stationary "
            "point of the flow."
        )


def _check_eps(eps: np.ndarray) -> None:
    if np.any(eps < 0):
        raise ValueError(
            "`eps` must be non-negative (eq. 18); pass eps = 0 for the limit eps -> 0+."
        )


def _broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError as exc:
        names = ", ".join(f"`{k}`" for k in arrays)
        shapes = ", ".join(str(np.shape(v)) for v in arrays.values())
        raise ValueError(
            f"{names} must be broadcastable to one shape; got shapes {shapes}."
        ) from exc


def _block_args(lam, theta, y, alpha=None, eps=None) -> list[np.ndarray]:
    """Validate and broadcast the block parameters; ``None`` entries are skipped."""
    given = {"lam": lam, "theta": theta, "y": y, "alpha": alpha, "eps": eps}
    arrays = {k: _as_float_array(v, k) for k, v in given.items() if v is not None}
    _check_lam(arrays["lam"])
    _check_theta(arrays["theta"])
    _check_y(arrays["y"])
    if "alpha" in arrays:
        _check_alpha(arrays["alpha"])
    if "eps" in arrays:
        _check_eps(arrays["eps"])
    return _broadcast(**arrays)


def _out(arr: np.ndarray):
    """Return a numpy scalar for 0-d results, the array otherwise."""
    return arr[()]


def _cs(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta))
    # theta = pi/4 can give s > c in the last bit; the bounds use c - s >= 0.
    return np.maximum(c, s), s


# --------------------------------------------------------------------------------------------
# Lemmas B.2-B.4 and Theorem 3.9
# --------------------------------------------------------------------------------------------


def lemma_b4_terms(lam, theta, y, alpha, eps) -> LemmaB4Terms:
    r"""Terms ``N_0, N_1, N_2`` of Lemma B.4, with ``M_- = N_0 + N_1 + N_2`` (Lemma B.3).

    Parameters
    ----------
    lam, theta, y, alpha, eps : array_like
        Broadcastable arrays: block eigenvalue ``lam > 0`` (eq. 21), angle ``theta`` with
        ``|cos theta| >= |sin theta| > 0`` (Assumption 3.8), label ``y != 0``, initialisation
        scale ``alpha > 0`` and stability constant ``eps >= 0``.

    Returns
    -------
    LemmaB4Terms
        ``N0 = (c - s)(2**(-1/4) sqrt|ybar| - alpha)``,
        ``N1 = -2 sqrt(2 eps / (lam s sqrt|ybar|))``,
        ``N2 = -3 eps' ln(sqrt|ybar| / eps')`` with ``eps' = sqrt(2) eps / (lam s |ybar|)``
        (``N2 = 0`` at ``eps = 0``, its limit), each of the broadcast shape.
    """
    lam, theta, y, alpha, eps = _block_args(lam, theta, y, alpha, eps)
    c, s = _cs(theta)
    ybar = np.abs(y) / np.sqrt(lam)
    n0 = (c - s) * (2.0 ** (-0.25) * np.sqrt(ybar) - alpha)
    n1 = -2.0 * np.sqrt(2.0 * eps / (lam * s * np.sqrt(ybar)))
    eps_p = _SQRT2 * eps / (lam * s * ybar)
    positive = eps_p > 0
    safe = np.where(positive, eps_p, 1.0)
    n2 = np.where(positive, -3.0 * eps_p * np.log(np.sqrt(ybar) / safe), 0.0)
    return LemmaB4Terms(_out(n0), _out(n1), _out(n2))


def kkt_bounds_block(lam, theta, y, alpha, eps):
    r"""Exact bounds ``M_- <= Delta <= M_+`` of Lemmas B.2 and B.3 for one 2-column block.

    Parameters
    ----------
    lam : array_like
        Non-zero eigenvalue ``lambda > 0`` of the block ``x x^T`` (eq. 21), i.e. ``|x|**2``.
    theta : array_like
        Block angle, ``x = sqrt(lam) (cos theta, sin theta)``, with
        ``|cos theta| >= |sin theta| > 0`` (Assumption 3.8), checked up to ``1e-12``
        (``theta = pi/4`` is accepted, ``theta = pi`` rejected).
    y : array_like
        Label, non-zero (Assumption 3.2). Only ``|y|`` enters.
    alpha : array_like
        Initialisation scale, ``w(0) = alpha * 1``, ``alpha > 0``.
    eps : array_like
        Stability constant, ``eps >= 0``; ``eps = 0`` returns the limits ``eps -> 0+``.

    Returns
    -------
    M_plus, M_minus : ndarray
        Arrays of the broadcast shape of the inputs (numpy scalars for scalar inputs):

        * ``M_plus = (c - s)(lam**(-1/4) |y|**(1/2) - sqrt(2) eps / (4 lam**(1/2) |y|))``
          (Lemma B.2; also the last line of its proof);
        * ``M_minus = (c - s)((2 lam)**(-1/4) |y|**(1/2) - alpha)
          - 2 sqrt(2 eps / (lam**(3/4) s |y|**(1/2)))
          - (3 sqrt(2) eps / (lam**(1/2) s |y|)) ln(lam**(1/4) s |y|**(3/2) / (sqrt(2) eps))``
          (Lemma B.3; at ``eps = 0`` the limit ``N_0`` of Lemma B.4),

        with ``c = |cos theta|``, ``s = |sin theta|``.

    Notes
    -----
    The bounds are proved under Assumption 3.3 (eqs. 18-19), which is not enforced here. The
    KKT error of Theorem 3.9 is ``delta = |Delta| <= max(|M_plus|, |M_minus|)``. See the module
    docstring for the gaps found in the proofs (none changes the stated formulas).

    Examples
    --------
    >>> m_plus, m_minus = kkt_bounds_block(1.0, 0.3, 1.0, 0.05, 1e-4)
    >>> bool(m_minus <= m_plus)
    True
    """
    lam, theta, y, alpha, eps = _block_args(lam, theta, y, alpha, eps)
    c, s = _cs(theta)
    abs_y = np.abs(y)
    m_plus = (c - s) * (lam**-0.25 * np.sqrt(abs_y) - _SQRT2 * eps / (4.0 * np.sqrt(lam) * abs_y))
    n0, n1, n2 = lemma_b4_terms(lam, theta, y, alpha, eps)
    m_minus = n0 + n1 + n2
    return _out(m_plus), _out(np.asarray(m_minus))


def kkt_bounds_leading(lam, theta, y, alpha, eps):
    r"""Leading-order forms of ``M_+`` and ``M_-`` quoted in Theorem 3.9.

    Parameters
    ----------
    lam, theta, y, alpha, eps : array_like
        As in :func:`kkt_bounds_block`. ``eps`` is validated but does not enter.

    Returns
    -------
    M_plus_lead, M_minus_lead : ndarray
        Arrays of the broadcast shape:
        ``M_plus_lead = (c - s) lam**(-1/4) |y|**(1/2)`` (``= M_plus + O(eps)``, in fact
        ``M_plus_lead - M_plus = (c - s) sqrt(2) eps / (4 lam**(1/2) |y|)``) and
        ``M_minus_lead = (c - s)((2 lam)**(-1/4) |y|**(1/2) - alpha)``
        (``= M_minus + O(sqrt(eps))``).
    """
    lam, theta, y, alpha, eps = _block_args(lam, theta, y, alpha, eps)
    c, s = _cs(theta)
    abs_y = np.abs(y)
    m_plus = (c - s) * lam**-0.25 * np.sqrt(abs_y)
    m_minus = (c - s) * ((2.0 * lam) ** -0.25 * np.sqrt(abs_y) - alpha)
    return _out(m_plus), _out(m_minus)


def lemma_b2_intermediates(lam, theta, y, alpha, eps) -> LemmaB2Intermediates:
    r"""Quantities of the proof of Lemma B.2, with the cubic root ``U_hat`` computed exactly.

    Parameters
    ----------
    lam, theta, y, alpha, eps : array_like
        As in :func:`kkt_bounds_block`.

    Returns
    -------
    LemmaB2Intermediates
        Arrays of the broadcast shape:

        * ``U_hat``: the largest root of ``p(U) = eps``, ``p(U) = lam s U (|ybar| + (c+s)
          alpha**2 - (c+s) U**2)`` (Step 1), by Viete's trigonometric formula
          ``U_hat = 2 sqrt(A/(3B)) cos(arccos(-(3 eps'/(2A)) sqrt(3B/A)) / 3)``,
          ``A = |ybar| + (c+s) alpha**2``, ``B = c + s``, ``eps' = eps/(lam s)``; NaN when
          ``eps`` exceeds ``max_U p(U)`` (no root; never under Assumption 3.3);
        * ``u2_tilde = sqrt(|ybar|/(c+s) + alpha**2) - eps/(2 lam s |ybar|)`` (eq. 55);
        * ``S = sqrt(|ybar|/(c+s) + alpha**2)``, the bound on ``u_2^inf`` below eq. (60);
        * ``M_plus_cubic = K (S - U_hat) + (c - s)(U_hat - alpha)``, ``K = c(c-s)/(c+s)``:
          inequality (60) with ``u~_2`` replaced by ``U_hat``, the bound the proof establishes
          once eq. (55) is repaired. ``M_plus_cubic <= M_plus`` under Assumption 3.3.

    Notes
    -----
    Eq. (55) claims ``U_hat < u2_tilde``; this fails, e.g., for every fixed ``alpha`` as
    ``eps -> 0`` (module docstring, item 1).
    """
    lam, theta, y, alpha, eps = _block_args(lam, theta, y, alpha, eps)
    c, s = _cs(theta)
    ybar = np.abs(y) / np.sqrt(lam)
    a_coef = ybar + (c + s) * alpha**2
    b_coef = c + s
    eps_p = eps / (lam * s)
    arg = -(1.5 * eps_p / a_coef) * np.sqrt(3.0 * b_coef / a_coef)
    with np.errstate(invalid="ignore"):
        u_hat = 2.0 * np.sqrt(a_coef / (3.0 * b_coef)) * np.cos(np.arccos(arg) / 3.0)
    u_hat = np.where(arg >= -1.0, u_hat, np.nan)
    big_s = np.sqrt(a_coef / b_coef)
    u2_tilde = big_s - eps / (2.0 * lam * s * ybar)
    k_coef = c * (c - s) / (c + s)
    m_cubic = k_coef * (big_s - u_hat) + (c - s) * (u_hat - alpha)
    return LemmaB2Intermediates(_out(u_hat), _out(u2_tilde), _out(big_s), _out(m_cubic))


# --------------------------------------------------------------------------------------------
# Corollaries 3.10 and 3.12
# --------------------------------------------------------------------------------------------


def corollary_3_10_bound(lam, theta, y, eps):
    r"""Upper bound (24) of Corollary 3.10 on the KKT error ``delta(eps)`` of one block.

    Parameters
    ----------
    lam, theta, y, eps : array_like
        Broadcastable arrays as in :func:`kkt_bounds_block`.

    Returns
    -------
    ndarray
        ``Mbar - (c - s) sqrt(2) eps / (4 lam**(1/2) |y|)`` with
        ``Mbar = (c - s) lam**(-1/4) |y|**(1/2)`` (eq. 24), of the broadcast shape. It equals
        ``M_plus`` of Lemma B.2; the corollary asserts ``delta <= `` this only on a
        non-degenerate interval ``[0, eps*]`` of eps on which ``M_-(eps) >= 0``.
    """
    lam, theta, y, eps = _block_args(lam, theta, y, eps=eps)
    c, s = _cs(theta)
    abs_y = np.abs(y)
    mbar = (c - s) * lam**-0.25 * np.sqrt(abs_y)
    return _out(mbar - (c - s) * _SQRT2 * eps / (4.0 * np.sqrt(lam) * abs_y))


def corollary_3_12_bound(lams, thetas, ys, eps):
    r"""Upper bound (25)-(26) of Corollary 3.12 on the KKT error ``delta_bar(eps)``, ``N >= 1``.

    Parameters
    ----------
    lams, thetas, ys : array_like, shape (N,)
        Per-block eigenvalues ``lambda_n > 0``, angles ``theta_n`` with
        ``|cos theta_n| >= |sin theta_n| > 0`` and labels ``y^(n) != 0``.
    eps : array_like
        Stability constant(s) ``eps >= 0``, any shape.

    Returns
    -------
    ndarray
        Shape of ``eps``:
        ``sum_n (c_n - s_n) lam_n**(-1/4) |y_n|**(1/2)
        - (sum_n (c_n - s_n) sqrt(2) / (4 lam_n**(1/2) |y_n|)) eps``.
    """
    lams = _as_float_array(lams, "lams")
    thetas = _as_float_array(thetas, "thetas")
    ys = _as_float_array(ys, "ys")
    for name, arr in (("lams", lams), ("thetas", thetas), ("ys", ys)):
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(
                f"`{name}` must be a non-empty 1-dimensional array, one entry a block."
            )
    if not lams.shape == thetas.shape == ys.shape:
        raise ValueError(
            "`lams`, `thetas` and `ys` must have the same length N (one entry per block); got "
            f"{lams.shape}, {thetas.shape}, {ys.shape}."
        )
    eps = _as_float_array(eps, "eps")
    try:
        _check_lam(lams)
        _check_theta(thetas)
        _check_y(ys)
    except ValueError as exc:  # name the per-block argument
        msg = str(exc).replace("`lam`", "`lams`").replace("`theta`", "`thetas`")
        raise ValueError(msg.replace("`y`", "`ys`")) from None
    _check_eps(eps)
    c, s = _cs(thetas)
    abs_y = np.abs(ys)
    const = np.sum((c - s) * lams**-0.25 * np.sqrt(abs_y))
    slope = np.sum((c - s) * _SQRT2 / (4.0 * np.sqrt(lams) * abs_y))
    return _out(const - slope * eps)


# --------------------------------------------------------------------------------------------
# Assumption 3.3
# --------------------------------------------------------------------------------------------


def assumption_3_3_intervals(abs_x, abs_y, eps=0.0) -> Assumption33Intervals:
    r"""Admissible ``eps`` and ``alpha`` of Assumption 3.3 for one block (eqs. 18-19).

    Parameters
    ----------
    abs_x : array_like, shape (D_n,)
        Absolute values ``|x_i^(n)|`` of the block's non-zero entries (all positive).
    abs_y : float
        ``|y^(n)| > 0``.
    eps : array_like, optional
        Stability constant(s) for which to return the alpha interval, each in
        ``[0, eps_max]``. Default 0.

    Returns
    -------
    Assumption33Intervals
        ``eps_max = min_i (1/9) |x_i| |y|**(3/2) / sqrt(2 sum_k |x_k|)`` (eq. 18),
        ``alpha_min = max_i 9 eps / (4 |x_i y|) = 9 eps / (4 min_i |x_i| |y|)`` (eq. 19, shape of
        ``eps``) and ``alpha_max = (1/3) sqrt(|y| / (2 sum_k |x_k|))`` (eq. 19). The alpha
        interval ``[alpha_min, alpha_max]`` is non-empty for every ``eps`` in ``[0, eps_max]``.
        For a block of Assumption 3.8 pass ``abs_x = sqrt(lam) * (|cos theta|, |sin theta|)``.
    """
    abs_x = _as_float_array(abs_x, "abs_x")
    if abs_x.ndim != 1 or abs_x.size == 0 or np.any(abs_x <= 0):
        raise ValueError(
            "`abs_x` must be a non-empty 1-dimensional array of positive entries |x_i| (the "
            "block's non-zero columns, Assumption 3.2)."
        )
    abs_y = _as_float_array(abs_y, "abs_y")
    if abs_y.ndim != 0 or abs_y <= 0:
        raise ValueError("`abs_y` must be a positive scalar |y| (Assumption 3.2: y != 0).")
    eps = _as_float_array(eps, "eps")
    _check_eps(eps)
    eps_max_i, _, alpha_max = assumption_3_3_terms(abs_x, abs_y, abs_x.sum(), 0.0)
    eps_max = float(eps_max_i.min())
    if np.any(eps > eps_max * (1.0 + 1e-12)):
        raise ValueError(
            f"`eps` must not exceed eps_max = {eps_max:.6g} (eq. 18); choose a smaller eps."
        )
    alpha_min = assumption_3_3_terms(abs_x.min(), abs_y, abs_x.sum(), eps)[1]
    return Assumption33Intervals(eps_max, _out(alpha_min), float(alpha_max[0]))


def satisfies_assumption_3_3(lam, theta, y, alpha, eps):
    r"""Whether ``(alpha, eps)`` satisfy Assumption 3.3 (eqs. 18-19) for a 2-column block.

    Parameters
    ----------
    lam, theta, y, alpha, eps : array_like
        Broadcastable arrays as in :func:`kkt_bounds_block`.

    Returns
    -------
    ndarray of bool
        Broadcast shape; True where ``eps <= eps_max`` and ``alpha_min <= alpha <= alpha_max``
        with ``|x| = sqrt(lam) (|cos theta|, |sin theta|)`` in :func:`assumption_3_3_intervals`.
    """
    lam, theta, y, alpha, eps = _block_args(lam, theta, y, alpha, eps)
    c, s = _cs(theta)
    abs_y = np.abs(y)
    x_min = np.sqrt(lam) * np.minimum(c, s)
    eps_max, alpha_min, alpha_max = assumption_3_3_terms(x_min, abs_y, np.sqrt(lam) * (c + s), eps)
    return _out((eps <= eps_max) & (alpha >= alpha_min) & (alpha <= alpha_max))
