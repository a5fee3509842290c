"""The bundled LLM learner: one chat model acting on text envs, trained with PPO or GRPO.

* :mod:`~rrm_gym.agents.llm.policy` — :class:`LLMPolicy` (LoRA, value head, generation, scoring);
  :mod:`~rrm_gym.agents.llm.value_head`, :mod:`~rrm_gym.agents.llm.tokens`, :mod:`~rrm_gym.agents.llm.frozen`,
  :mod:`~rrm_gym.agents.llm.policy_io` are its parts.
* :mod:`~rrm_gym.agents.llm.conversation` (torch-free) and :mod:`~rrm_gym.agents.llm.rollout` — prompts and
  multi-turn rollouts over a vector env.
* :mod:`~rrm_gym.agents.llm.ppo`, :mod:`~rrm_gym.agents.llm.grpo`, their shared :mod:`~rrm_gym.agents.llm.common`
  and :mod:`~rrm_gym.agents.llm.config`.
* :mod:`~rrm_gym.agents.llm.backend` — how ``rrm-gym train --agent ppo|grpo`` runs them.

Nothing is imported here: modules that need torch are loaded only when used.
"""
