"""Stable-Baselines3 bridge.

:mod:`~.learner` (MaskablePPO over the discrete action view) and :mod:`~.backend` (``rrm-gym train --agent sb3``).
"""
