import gc

import pytest

from common.collector import collector_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_paused_inside_and_running_again_after(collector_on):
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_failure_inside(collector_on):
    with pytest.raises(ValueError, match="mid-job"), collector_paused():
        raise ValueError("mid-job")
    assert gc.isenabled()


def test_a_pause_within_a_pause_leaves_the_collector_paused_until_the_outer_one_ends(collector_on):
    @collector_paused()
    def inner():
        assert not gc.isenabled()

    with collector_paused():
        inner()
        assert not gc.isenabled()
    assert gc.isenabled()
