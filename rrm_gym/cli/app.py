"""The ``rrm-gym`` command: a thin click layer over library functions."""

from __future__ import annotations

import os

import click

from rrm_gym.cli.check_cmd import check
from rrm_gym.cli.compare_cmd import compare
from rrm_gym.cli.distill_cmd import distill
from rrm_gym.cli.envs_cmd import envs
from rrm_gym.cli.eval_cmd import eval_cmd
from rrm_gym.cli.judge_cmd import judge
from rrm_gym.cli.judge_eval_cmd import judge_eval
from rrm_gym.cli.play_cmd import play
from rrm_gym.cli.train_cmd import train

__all__ = ["main"]

# Busy-waiting OpenMP threads slow generation badly on small shared CPUs; must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rrm-gym")
def main() -> None:
    """rrm-gym: text-agent envs with reasoning-reward-model feedback (critique, reward, unified)."""


main.add_command(envs)
main.add_command(check)
main.add_command(play)
main.add_command(judge)
main.add_command(train)
main.add_command(eval_cmd)
main.add_command(compare)
main.add_command(distill)
main.add_command(judge_eval)
