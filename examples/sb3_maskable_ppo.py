"""Train sb3-contrib's MaskablePPO on rrm/WebWalker-v0 through the discrete action view and a text encoder.

The env stack is ``gym.make -> [C/R/U feedback] -> DiscreteActionWrapper -> TextEncoderWrapper``: each action index
is a button click, ``back:`` or a candidate answer (one per fact on the page), and the observation vector holds the
page, the question, every action label and how similar each label is to the question.

Run (about a minute on 2 CPU cores with the defaults):

    python examples/sb3_maskable_ppo.py
    python examples/sb3_maskable_ppo.py --feedback unified --judge reference --iterations 60
    python examples/sb3_maskable_ppo.py --encoder minilm --save runs/sb3-minilm
"""

from __future__ import annotations

import argparse

import rrm_gym  # noqa: F401 - registers the envs
from rrm_gym.agents.bridges.sb3.learner import SB3Learner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="rrm/WebWalker-v0")
    parser.add_argument("--difficulty", default="easy", help="easy | medium | hard")
    parser.add_argument("--feedback", default="none", choices=["none", "critique", "reward", "unified"])
    parser.add_argument("--judge", default="reference", help="a name for rrm_gym.judges.make")
    parser.add_argument("--algo", default="maskable_ppo", choices=["maskable_ppo", "ppo"])
    parser.add_argument("--encoder", default="hash", choices=["hash", "minilm"])
    parser.add_argument("--iterations", type=int, default=40, help="rollout + update rounds")
    parser.add_argument("--n-steps", type=int, default=256, help="env steps per iteration")
    parser.add_argument("--episodes", type=int, default=100, help="held-out test tasks for evaluation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None, help="folder for the final checkpoint")
    args = parser.parse_args()

    learner = SB3Learner(env_id=args.env, env_kwargs={"difficulty": args.difficulty}, feedback=args.feedback,
                         judge=args.judge, algo=args.algo, encoder=args.encoder, n_steps=args.n_steps,
                         seed=args.seed)
    before = learner.evaluate(args.episodes, split="test")
    print(f"success on {args.episodes} held-out tasks before training: {before:.2f}")
    history = learner.learn(args.iterations * learner.steps_per_iteration)
    for stats in history[:: max(1, len(history) // 8)]:
        print(f"iteration {stats['iteration']:3d}  episodes {stats['episodes']:3d}  "
              f"train success {stats['success_rate']:.2f}  reward {stats['reward']:.2f}")
    after = learner.evaluate(args.episodes, split="test")
    print(f"success on {args.episodes} held-out tasks after training:  {after:.2f}")
    if args.save:
        print("saved to", learner.save(args.save))
    learner.close()


if __name__ == "__main__":
    main()
