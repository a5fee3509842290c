"""The student's training text is the hf judge's exact prompt; the stop-gradient prefix keeps the loss unchanged."""

import gymnasium as gym
import pytest

import rrm_gym  # noqa: F401
from rrm_gym.distill.collect import plan_env, run_episode
from rrm_gym.distill.policies import make_policy
from rrm_gym.distill.records import request_of
from rrm_gym.judges import make
from tests.agents.tiny_lm import make_tiny_lm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


@pytest.fixture(scope="module")
def records():
    env = gym.make("rrm/WebWalker-v0", difficulty="easy")
    teacher = make("reference")
    out = []
    for key, tid, policy, seed in plan_env("rrm/WebWalker-v0", env, split="train", tasks=2, per_task=2,
                                           mix={"solver": 1, "solver:wrong": 1}, seed=0):
        rec = {"key": key, **run_episode(env, make_policy(policy), tid, seed, 8)}
        rec["teacher"] = teacher([request_of(rec)])[0].to_dict()
        out.append(rec)
    return out


def test_examples_are_the_hf_judge_prompt_plus_the_teacher_reply(tiny_model, records):
    from transformers import AutoTokenizer

    from rrm_gym.distill.sft import tokenize_records

    judge = make("hf", model=tiny_model)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    examples, dropped = tokenize_records(records, tokenizer, judge.max_trajectory_tokens)
    assert dropped == 0 and len(examples) == len(records)
    for rec, ex in zip(records, examples, strict=True):
        prompt = judge._prompt(judge.messages(request_of(rec)))
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        n = len(prompt_ids)
        assert ex["input_ids"][:n] == prompt_ids and set(ex["labels"][:n]) == {-100}
        reply = tokenizer.decode(ex["labels"][n:], skip_special_tokens=True)
        assert reply == rec["teacher"]["raw"] and ex["labels"][-1] == tokenizer.eos_token_id
        assert str(rec["reference"]["answer"]) not in prompt or str(rec["reference"]["answer"]) in str(
            rec["trajectory"])
    _, dropped = tokenize_records(records, tokenizer, judge.max_trajectory_tokens, max_length=50)
    assert dropped == len(records)


def test_the_stop_gradient_prefix_gives_the_same_loss(tiny_model, records):
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig

    from rrm_gym.distill.prefix_trainer import prefix_trainer_class, system_prefix_ids
    from rrm_gym.distill.sft import tokenize_records

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    examples, _ = tokenize_records(records, tokenizer)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    args = SFTConfig(output_dir="/tmp/unused-rrm-prefix", max_steps=1, per_device_train_batch_size=2, report_to=[],
                     use_cpu=True, disable_tqdm=True, activation_checkpointing=False)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM", init_lora_weights=False)
    trainer = prefix_trainer_class()(model=model, args=args, train_dataset=Dataset.from_list(examples),
                                     processing_class=tokenizer, peft_config=lora)
    trainer.model.train()
    batch = next(iter(trainer.get_train_dataloader()))  # two examples of different lengths: padding included
    plain = trainer.compute_loss(trainer.model, dict(batch))
    trainer.prefix_ids = system_prefix_ids(tokenizer)
    assert batch["input_ids"][0, : len(trainer.prefix_ids)].tolist() == trainer.prefix_ids
    cached = trainer.compute_loss(trainer.model, dict(batch))
    assert cached.item() == pytest.approx(plain.item(), rel=1e-5)
    cached.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for n, p in trainer.model.named_parameters()
               if "lora" in n)
