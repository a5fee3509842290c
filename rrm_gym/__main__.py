"""``python -m rrm_gym``: the ``rrm-gym`` command, for shells where the script is not on ``PATH``."""

from rrm_gym.cli import main

if __name__ == "__main__":
    main(prog_name="rrm-gym")
