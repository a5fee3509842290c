"""Bridges to other learners.

Stable-Baselines3 (:mod:`~rrm_gym.agents.bridges.sb3`) and TRL (:mod:`~rrm_gym.agents.bridges.trl`); each has its
learner-facing code and the backend ``rrm-gym train`` uses.
"""
