"""``trl``: ``trl.GRPOTrainer`` on an ``rrm/*`` env with C/R/U feedback, as a runner backend.

By default the trainer's rollouts come from :class:`~rrm_gym.agents.bridges.trl.rollout.ReagentRollout`
(``rollout_func``) for every feedback mode: each attempt is its own row with its own reward, and under C/U the
initial and the refined attempts of a task share one GRPO group, as in Reagent-U. Using it for ``none`` and ``reward``
too (one attempt per row, which is plain GRPO) keeps the four modes on the same rollout code, so runs that compare
them differ only by their feedback. ``--agent-opt rollout=tool_loop`` uses TRL's own tool loop instead
(``environment_factory`` + ``shaped_reward``: one row per episode, attempts summed).

``GRPOTrainer.train()`` owns its loop, so it runs in a worker thread that pauses after every optimizer step (in a
``TrainerCallback.on_log``) until the runner asks for the next :meth:`TRLBackend.iteration`; while it is paused the
runner logs, checkpoints (Trainer-format folder: weights/adapter, optimizer, scheduler, RNG, trainer state) and
reads the episodes the environments recorded. One iteration is one ``GRPOTrainer`` optimizer step.

``agent_opts`` are ``trl.GRPOConfig`` fields (``num_generations``, ``max_completion_length``, ``use_vllm``,
``vllm_mode``, ``vllm_server_base_url``, ...) plus ``lora`` (default true), ``lora_r``, ``lora_alpha``,
``num_tasks`` (rows of the prompt dataset), ``rollout`` (``attempts`` or ``tool_loop``), ``max_turns`` and
``max_reply_tokens`` (per attempt, for ``attempts``). ``num_generations`` is the group size: n samples x attempts
per sample (2 under C/U with one refinement); its default is 2 samples' worth.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Any

from rrm_gym.agents.bridges.trl.evaluation import evaluate_tool_model
from rrm_gym.agents.run.runner import Backend, RunContext

__all__ = ["TRLBackend", "evaluate_trl_checkpoint"]

_OWN_OPTS = ("lora", "lora_r", "lora_alpha", "num_tasks", "rollout", "max_turns", "max_reply_tokens")
_ROLLOUTS = ("attempts", "tool_loop")


def _load_tokenizer(path: str) -> Any:
    from transformers import AutoTokenizer

    from rrm_gym.agents.bridges.trl.env import prepare_tokenizer

    return prepare_tokenizer(AutoTokenizer.from_pretrained(path))


class TRLBackend(Backend):
    """GRPOTrainer (LoRA by default) with :class:`ReagentRollout` and ``attempt_reward`` (or TRL's tool loop)."""

    def __init__(self, ctx: RunContext) -> None:
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
        from transformers import AutoModelForCausalLM, TrainerCallback
        from trl import GRPOTrainer

        from rrm_gym.agents.bridges.trl.env import environment_factory, make_dataset, make_grpo_config, shaped_reward
        from rrm_gym.agents.bridges.trl.rollout import ReagentRollout, attempt_reward
        from rrm_gym.models import resolve_model_path

        cfg = ctx.config
        self.config = cfg
        opts = {k.replace("-", "_"): v for k, v in cfg.agent_opts.items()}
        own = {k: opts.pop(k) for k in _OWN_OPTS if k in opts}
        kind = str(own.get("rollout", "attempts"))
        if kind not in _ROLLOUTS:
            raise ValueError(f"agent option rollout must be one of {_ROLLOUTS}, got {kind!r}")
        self.model_path = resolve_model_path(cfg.model)
        self.tokenizer = _load_tokenizer(self.model_path)
        self.factory = environment_factory(cfg.env, feedback=cfg.feedback, judge=ctx.judge or "reference",
                                           lam=cfg.lam, max_refinements=cfg.max_refinements, on_error=cfg.on_error,
                                           **cfg.env_kwargs_resolved())
        self.rollout: ReagentRollout | None = None
        if kind == "attempts":
            self.rollout = ReagentRollout(self.factory, max_turns=own.get("max_turns"),
                                          max_reply_tokens=own.get("max_reply_tokens"))
            opts.setdefault("num_generations", 2 * self.rollout.attempts)  # 2 samples x their attempts
        max_iter, _ = cfg.budget()
        args = make_grpo_config(str(ctx.run_dir / "trl"), max_steps=max_iter or 1_000_000, seed=cfg.seed, **opts)
        if max_iter is None:
            args.lr_scheduler_type = "constant"  # the length is set by --total-steps, unknown in optimizer steps
        peft_config = None
        if own.get("lora", True):
            from peft import LoraConfig

            peft_config = LoraConfig(r=int(own.get("lora_r", 8)), lora_alpha=int(own.get("lora_alpha", 16)),
                                     target_modules="all-linear", task_type="CAUSAL_LM")
        num_tasks = int(own.get("num_tasks", 512))
        if self.rollout is not None:
            self.rollout.check_config(args)
            dataset = self.rollout.make_dataset(num_tasks, seed=cfg.seed)
            generation: dict[str, Any] = {"reward_funcs": attempt_reward, "rollout_func": self.rollout}
        else:
            dataset = make_dataset(num_tasks, seed=cfg.seed)
            generation = {"reward_funcs": shaped_reward, "environment_factory": self.factory}
        model = AutoModelForCausalLM.from_pretrained(self.model_path, dtype="float32")
        self._reports: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._go = threading.Event()
        self._stop = False
        backend = self

        class _Pause(TrainerCallback):
            """Hands each step's logs to the runner and waits until it asks for the next step."""

            last = -1

            def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                       **kwargs: Any) -> None:
                if not logs or "loss" not in logs or state.global_step <= self.last:
                    return
                self.last = state.global_step
                backend._reports.put(("step", dict(logs)))
                backend._go.wait()
                backend._go.clear()
                if backend._stop:
                    control.should_training_stop = True

        from rrm_gym._warnings import quiet_third_party_deprecations

        with quiet_third_party_deprecations():  # peft reads transformers' deprecated is_gradient_checkpointing
            self.trainer = GRPOTrainer(model=model, processing_class=self.tokenizer, args=args,
                                       train_dataset=dataset, peft_config=peft_config, callbacks=[_Pause()],
                                       **generation)
        self._thread: threading.Thread | None = None
        self._resume: str | None = None

    # ------------------------------------------------------------------ the worker thread
    def _run(self) -> None:
        from rrm_gym._warnings import quiet_third_party_deprecations

        try:
            with quiet_third_party_deprecations():  # trl reads the deprecated is_gradient_checkpointing per step
                self.trainer.train(resume_from_checkpoint=self._resume)
            self._reports.put(("done", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the runner's thread
            self._reports.put(("error", exc))

    def iteration(self) -> dict[str, float]:
        """Let GRPOTrainer take one optimizer step; return its logged metrics."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rrm-trl", daemon=True)
            self._thread.start()
        else:
            self._go.set()
        kind, payload = self._reports.get()
        if kind == "error":
            raise RuntimeError(f"GRPOTrainer failed: {payload}") from payload
        if kind == "done":
            raise RuntimeError("GRPOTrainer stopped before the budget was reached (max_steps too small?)")
        return {k: float(v) for k, v in payload.items() if isinstance(v, (int, float))}

    @property
    def env_steps(self) -> int:
        """Env steps (tool calls and final answers) of all rollouts so far."""
        return self.factory.env_steps

    def pop_episodes(self) -> list[dict[str, Any]]:
        """Episodes the environments finished since the last call."""
        return self.factory.pop_finished()

    def save(self, folder: Path) -> None:
        """A Trainer-format checkpoint in ``folder/hf`` (only while the trainer is paused between steps)."""
        out = folder / "hf"
        out.mkdir()
        trainer = self.trainer
        trainer.save_model(str(out))
        self.tokenizer.save_pretrained(str(out))
        if trainer.optimizer is not None:
            trainer._save_optimizer_and_scheduler(str(out))  # same files as Trainer's own checkpoints
            trainer._save_rng_state(str(out))
        trainer.state.save_to_json(str(out / "trainer_state.json"))

    def load(self, folder: Path) -> None:
        """Resume from ``folder/hf`` when training starts."""
        self._resume = str(folder / "hf")

    def evaluate(self, episodes: int, split: str, seed: int, progress: bool) -> dict[str, Any]:
        """Success of the current model on the plain env, acting through the same tools as in training."""
        return evaluate_tool_model(self.trainer.model, self.tokenizer, self.config.env, episodes, split, seed,
                                   self.config.env_kwargs_resolved(), progress=progress)

    def close(self) -> None:
        """Stop the worker thread."""
        if self._thread is not None and self._thread.is_alive():
            self._stop = True
            self._go.set()
            self._thread.join(timeout=600)


def evaluate_trl_checkpoint(config: Any, folder: Path, env: str, episodes: int, split: str, seed: int,
                            env_kwargs: dict[str, Any], progress: bool) -> dict[str, Any]:
    """Evaluate a TRL checkpoint folder (``hf/``: full model or LoRA adapter) on ``env``."""
    from transformers import AutoModelForCausalLM

    from rrm_gym.models import resolve_model_path

    hf = Path(folder) / "hf"
    if (hf / "adapter_config.json").is_file():
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(resolve_model_path(config.model), dtype="float32")
        from rrm_gym._warnings import quiet_third_party_deprecations

        with quiet_third_party_deprecations():
            model = PeftModel.from_pretrained(base, str(hf))
    else:
        model = AutoModelForCausalLM.from_pretrained(str(hf), dtype="float32")
    return evaluate_tool_model(model, _load_tokenizer(str(hf)), env, episodes, split, seed, env_kwargs,
                               progress=progress)
