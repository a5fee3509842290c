"""Envs written the way users write them: plain Gymnasium, no rrm_gym import, registered by their own module.

Each module registers one id on import, so the library reaches it as ``module:Id`` (``rrm-gym train --env
tests.conformance.user_envs.one_step_qa:user/OneStepQA-v0``), exactly as a user's ``my_envs.py`` would be.
"""
