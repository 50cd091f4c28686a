"""Fit the collapse laws to measured learning curves (test error against data size ``T``).

``fit_curve(T=..., error=..., stderr=..., law=..., **fixed)`` returns a :class:`Fit` with the
parameters, their intervals, the fitted band, reduced chi-square, AIC, the plateau and the
answers of :meth:`Fit.scaling_stops`, :meth:`Fit.clean_share` and :meth:`Fit.extra_real_data`;
``fit_curves`` fits several curves with shared parameters; ``compare`` ranks laws fitted to the
same data by AIC and tests nested ones by likelihood ratio ("is there a plateau?").

Laws (:data:`LAWS`; parameters named as in :mod:`theory.zipf` and :mod:`theory.regression`):

* ``power_law``: ``A T^-c``; ``power_law_floor``: ``A T^-c + floor``.
* ``zipf_tail_cut``: ``scale`` times the exact error of a memoriser trained on ``T`` samples of the
  top-``k`` Zipf(``beta``) law, infinite vocabulary; ``zipf_mixed``: a share ``pi`` of clean
  samples among them (the "grokking" curve); ``zipf_generations``: ``scale`` times
  :func:`theory.zipf.generations_error` (``T0``, ``n`` and ``chain`` given). Dohmatob, Feng,
  Yang, Charton, Kempe, "A Tale of Tails: Model Collapse as a Change of Scaling Laws", ICML 2024,
  arXiv 2402.07043.
* ``regression_generations``: ``sigma^2 d/(T-d-1) + n sigma0^2 d/(T0-d-1)`` (the OLS chain of
  Dohmatob, Feng, Kempe, "Model Collapse Demystified: The Case of Regression", NeurIPS 2024,
  arXiv 2402.07712); covariates ``d``, ``n``, ``T0`` may vary per point, so a curve in ``n`` at
  fixed ``T`` is fitted the same way.
* ``strong_collapse``: ``(sigma^2 + p2 (1-p2) c2) d/(T-d-1) + p2^2 c2`` (isotropic OLS on a
  share ``p2`` of synthetic labels; Dohmatob, Feng, Subramonian, Kempe, "Strong Model Collapse",
  ICLR 2025, arXiv 2410.04840); its floor is ``p2^2 c2``.

Why the exact law matters: fitting ``A T^-c + floor`` to the exact tail-cut curve (beta = 1.8,
k = 300, T from 1e1 to 1e7, 3% noise) gives ``c ~ 0.53`` instead of ``1 - 1/beta = 0.44``, a floor
~16% below the plateau and a reduced chi-square ~ 11; the ``zipf_tail_cut`` law recovers beta
(``tests/test_fit.py``). Command line: ``python -m theory.fit CURVES.csv --law NAME``.
"""

from theory.fit._fit import Comparison, Fit, Quantity, compare, fit_curve, fit_curves
from theory.fit._laws import LAWS

__all__ = ["LAWS", "Comparison", "Fit", "Quantity", "compare", "fit_curve", "fit_curves"]
