r"""Discrete optimizers at the time horizon of a flow: the last iterate after ``ceil(T / eta)``
steps, to compare the discrete algorithms of :mod:`ssdlib.optim` with the flows' limits."""

from __future__ import annotations

import numpy as np

from ._model import _check_positive

__all__ = ["final_iterate"]


def final_iterate(problem, optimizer, alpha, eta, horizon, **options):
    r"""Last iterate of a discrete optimizer run for the time ``horizon``, ``K = ceil(T/eta)``.

    With step ``eta`` the discrete algorithm after ``K`` steps is compared with its flow at
    time ``K eta >= T`` (e.g. discrete SSD, eq. (15), with the SSD flow, eq. (16)). Only the
    first and last iterates are kept.

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
    optimizer : str
        As in :func:`ssdlib.optim.optimize`.
    alpha, eta : float
        Initialisation scale and learning rate, ``> 0``.
    horizon : float
        ``T > 0``.
    **options
        Passed to :func:`ssdlib.optim.optimize` (``eps``, ``beta1``, ``beta2``, ``depth``...).

    Returns
    -------
    beta : ndarray, shape (D,)
    loss : float
    """
    from .. import optim  # noqa: PLC0415  (ssdlib.optim imports this package)

    horizon = _check_positive("horizon", horizon, "the time of the flow")
    eta = _check_positive("eta", eta, "the learning rate")
    steps = int(np.ceil(horizon / eta))
    tr = optim.optimize(problem, optimizer, alpha, eta, steps, record_every=steps, **options)
    return tr.beta[-1], float(tr.loss[-1])
