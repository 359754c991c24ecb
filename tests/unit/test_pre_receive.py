from builds.ref_updates import ZERO, check_updates, parse_updates

A, B = "a" * 40, "b" * 40


def test_a_push_to_main_or_master_is_accepted():
    assert check_updates([(A, B, "refs/heads/main")]) is None
    assert check_updates([(ZERO, B, "refs/heads/master")]) is None


def test_other_branches_and_tags_are_refused_by_name():
    reason = check_updates([(A, B, "refs/heads/main"), (ZERO, B, "refs/tags/v1")])
    assert "not refs/tags/v1" in reason and "HEAD:main" in reason


def test_pushing_main_and_master_together_is_refused():
    assert "not both" in check_updates([(A, B, "refs/heads/main"), (A, B, "refs/heads/master")])


def test_deleting_the_deployed_branch_is_refused():
    assert "cannot be deleted" in check_updates([(A, ZERO, "refs/heads/main")])


def test_hook_input_is_parsed_one_update_per_line():
    assert parse_updates(f"{A} {B} refs/heads/main\n\n") == [(A, B, "refs/heads/main")]
