import json

import pytest

from paas.errors import Conflict, Forbidden, Missing, NotFound, TooLarge, Unavailable, UserError, error_answer


@pytest.mark.parametrize("kind, status, code", [
    (UserError, 400, "invalid_params"),
    (Forbidden, 403, "forbidden"),
    (Missing, 404, "not_found"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (TooLarge, 413, "payload_too_large"),
    (Unavailable, 503, "unavailable"),
])
def test_each_user_error_has_its_http_status_and_code(kind, status, code):
    assert issubclass(kind, UserError) and (kind.status, kind.code) == (status, code)


def test_the_policys_not_found_is_told_like_anything_missing():
    assert issubclass(NotFound, Missing)


def test_a_refusal_answers_its_message_and_code_and_a_dependency_failure_its_message_alone():
    refused = error_answer(Forbidden("your role (viewer) may not deploy app 'shop'"))
    assert refused.status_code == 403
    assert json.loads(refused.content) == {"error": "your role (viewer) may not deploy app 'shop'", "id": "forbidden"}
    down = error_answer(Unavailable("Redis is unreachable"))
    assert down.status_code == 503 and json.loads(down.content) == {"error": "Redis is unreachable"}
