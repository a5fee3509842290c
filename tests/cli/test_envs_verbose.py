"""`rrm-gym envs -v` is readable at 80 columns (issue 12, row 10: 1,207 lines of words cut to `desc…`)."""

from click.testing import CliRunner

from rrm_gym.cli import main
from rrm_gym.envs import list_envs


def test_verbose_listing_fits_80_columns_and_cuts_no_word():
    result = CliRunner(env={"COLUMNS": "80"}).invoke(main, ["envs", "-v"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in result.output
    words = set(result.output.split())
    infos = list_envs()
    for info in infos:
        assert info.env_id in words
        for text in (info.description, info.tools, info.reward, info.loads):
            assert set(text.split()) <= words, (info.env_id, text)
    assert len(lines) <= 10 * len(infos)  # a short block per env
