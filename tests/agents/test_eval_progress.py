"""The eval progress bar's ETA (issue 12: it was off by minutes when a batch of episodes finished at once)."""

from rich.progress import Progress, TimeRemainingColumn

from rrm_gym.agents.run.eval_progress import AverageETAColumn, average_eta


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _burst(column):
    """16 episodes in lock-step batches of 8: the first batch ends at once after 120 s (the second will too)."""
    clock = Clock()
    progress = Progress(column, get_time=clock, disable=True)
    task_id = progress.add_task("eval", total=16)
    progress.start_task(task_id)
    clock.now = 120.0
    for k in range(8):  # the batch's episodes are counted within a few milliseconds of each other
        clock.now = 120.0 + 0.001 * k
        progress.update(task_id, advance=1)
    return str(column.render(progress.tasks[0]))


def test_the_eta_is_the_average_pace_so_far():
    assert _burst(AverageETAColumn()) == "ETA 0:02:00"  # the second batch takes about as long as the first
    assert average_eta(120.0, 8, 16) == 120.0 and average_eta(3.0, 0, 16) is None


def test_rich_windowed_speed_reads_a_burst_as_almost_done():
    wrong = _burst(TimeRemainingColumn())  # what the bar showed before
    hours, minutes, seconds = map(int, wrong.split(":"))
    assert 3600 * hours + 60 * minutes + seconds < 10  # a second or so, with two minutes left
