"""Symbolic derivations and float64 predictions of test error under model collapse.

Submodules (one per model): ``theory.regression`` (Dohmatob-Feng-Kempe regression chains).
Each function has a simulator twin of the same name and keyword arguments in ``sim``.
"""
