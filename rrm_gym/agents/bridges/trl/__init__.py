"""TRL bridge.

:mod:`~.rollout` (``ReagentRollout``, a ``rollout_func`` for ``GRPOTrainer`` whose groups hold the initial and the
refined attempts of a task, each with its own reward, and ``attempt_reward``), :mod:`~.env` (``environment_factory``
for TRL's own tool loop, ``shaped_reward``, and the environments both paths play on), :mod:`~.generation` (replies
with sampling log-probabilities), :mod:`~.prepare` (dataset, tokenizer and ``GRPOConfig``), :mod:`~.evaluation`
(held-out evaluation of a tool-calling model) and :mod:`~.backend` (``rrm-gym train --agent trl``).
"""
