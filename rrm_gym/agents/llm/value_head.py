"""The value head of :class:`~rrm_gym.agents.llm.policy.LLMPolicy`: a small MLP on the LM's last hidden state.

Imports torch; only :mod:`rrm_gym.agents.llm.policy` imports this module.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ValueHead"]


class ValueHead(nn.Module):
    """Maps hidden states ``[..., hidden]`` to scalar values ``[...]``.

    The last layer starts at zero, so every value is 0 before training (no random bias in the first advantages).

    Args:
        hidden_size: Width of the LM's hidden states.
        inner_size: Width of the hidden layer; ``0`` gives a single linear layer.

    Example:
        >>> head = ValueHead(8, inner_size=4)
        >>> head(torch.ones(2, 3, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(self, hidden_size: int, inner_size: int = 128) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.inner_size = inner_size
        if inner_size > 0:
            self.body: nn.Module = nn.Sequential(nn.Linear(hidden_size, inner_size), nn.Tanh())
            last_in = inner_size
        else:
            self.body = nn.Identity()
            last_in = hidden_size
        self.out = nn.Linear(last_in, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Values of ``hidden`` (computed in float32, whatever the LM's dtype)."""
        return self.out(self.body(hidden.float())).squeeze(-1)
