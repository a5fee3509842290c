"""The ``module:Id`` ids of the user envs in :mod:`tests.conformance.user_envs`."""

_PKG = "tests.conformance.user_envs"

ONE_STEP_QA = f"{_PKG}.one_step_qa:user/OneStepQA-v0"
ROOMS = f"{_PKG}.rooms:user/Rooms-v0"
FREE_TEXT = f"{_PKG}.free_text:user/Reverse-v0"
TWO_PLAYER = f"{_PKG}.two_player:user/Nim-v0"
NON_TEXT = f"{_PKG}.non_text:user/Counter-v0"
LUCKY_DRAW = f"{_PKG}.lucky_draw:user/LuckyDraw-v0"

TEXT_ENVS = (ONE_STEP_QA, ROOMS, FREE_TEXT, TWO_PLAYER)
"""The text envs every agent and feedback mode must work on."""
