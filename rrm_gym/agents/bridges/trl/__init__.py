"""TRL bridge.

:mod:`~.env` (``environment_factory`` and reward functions for ``GRPOTrainer``), :mod:`~.prepare` (dataset,
tokenizer and ``GRPOConfig``), :mod:`~.evaluation` (held-out evaluation of a tool-calling model) and
:mod:`~.backend` (``rrm-gym train --agent trl``).
"""
