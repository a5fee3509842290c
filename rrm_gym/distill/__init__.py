"""Distilling a judge: collect trajectories, label them with a teacher, fine-tune a small student, evaluate judges.

``rrm-gym distill`` runs :func:`~rrm_gym.distill.pipeline.run_distill`; ``rrm-gym judge-eval`` runs
:func:`~rrm_gym.distill.evaluate.compute_metrics` over a judge's judgements of held-out labelled trajectories.
Importing this package loads no torch, transformers, trl, datasets or matplotlib.

Example:
    >>> from rrm_gym.distill import DistillConfig
    >>> DistillConfig(out="runs/judge").teacher
    'reference'
"""

from rrm_gym.distill.config import DEFAULT_ENVS, DistillConfig
from rrm_gym.distill.evaluate import compute_metrics, judge_records, plot_reliability
from rrm_gym.distill.label import load_labelled
from rrm_gym.distill.metrics import auroc, ece, leak_reason, pearson, spearman
from rrm_gym.distill.pipeline import run_distill
from rrm_gym.distill.sft import SFTSettings

__all__ = ["DistillConfig", "DEFAULT_ENVS", "SFTSettings", "run_distill", "load_labelled", "judge_records",
           "compute_metrics", "plot_reliability", "auroc", "ece", "spearman", "pearson", "leak_reason"]
