"""The training run behind ``rrm-gym train`` and ``rrm-gym eval``.

:mod:`~.config` (``TrainConfig``), :mod:`~.runner` (the job and the ``Backend`` interface), :mod:`~.checkpoint`,
:mod:`~.evaluate` (held-out evaluation), :mod:`~.eval_run` (evaluating a run directory) and :mod:`~.episode_log`
(episodes for the report).
"""
