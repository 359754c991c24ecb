import pytest

from applications.web_process import misspelt_web


@pytest.mark.parametrize("name", ["wbe", "Web", "WEB", "webb", "we", "wev", "eb"])
def test_names_like_web_are_taken_for_a_misspelling(name):
    assert misspelt_web(["worker", name]) == name


@pytest.mark.parametrize("name", ["worker", "webhook", "webworker", "clock", "job", "api", "www", "scheduler"])
def test_other_process_types_are_not(name):
    assert misspelt_web([name]) is None
