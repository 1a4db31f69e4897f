"""The lifecycle: INIT -> CAPTURING -> SEALED | FAILED | DISCARDED, and nothing else."""

from __future__ import annotations

import pytest

from evidence_crawler.capture.states import INIT, IllegalTransition, StateFile, check
from evidence_crawler.models import CaptureState as S


def test_a_new_capture_starts_in_init_and_is_written_when_capturing(store):
    states = StateFile(store, "c1")
    assert states.current() == INIT
    states.write({"capture_id": "c1", "state": str(S.CAPTURING)})
    assert states.current() == S.CAPTURING
    assert store.read_state("c1") == {"capture_id": "c1", "state": "capturing"}


@pytest.mark.parametrize("path", [[S.CAPTURING, S.SEALED], [S.CAPTURING, S.FAILED, S.DISCARDED],
                                  [S.CAPTURING, S.CAPTURING, S.DISCARDED]])
def test_allowed_paths(store, path):
    states = StateFile(store, "c1")
    for state in path:
        states.write({"state": str(state)})
    assert states.current() == path[-1]


@pytest.mark.parametrize("path, refused", [
    ([], S.SEALED),  # nothing to seal yet
    ([], S.FAILED),
    ([S.CAPTURING, S.SEALED], S.CAPTURING),  # a sealed capture is never resumed or rewritten
    ([S.CAPTURING, S.SEALED], S.FAILED),
    ([S.CAPTURING, S.SEALED], S.DISCARDED),
    ([S.CAPTURING, S.FAILED], S.SEALED),  # a capture that lost data is never sealed
    ([S.CAPTURING, S.FAILED], S.CAPTURING),
    ([S.CAPTURING, S.DISCARDED], S.CAPTURING),
])
def test_illegal_transitions_are_refused_and_nothing_is_written(store, path, refused):
    states = StateFile(store, "c1")
    for state in path:
        states.write({"state": str(state)})
    before = (store.capture_dir("c1") / "state.json").read_bytes() if path else None
    with pytest.raises(IllegalTransition, match=f"is {path[-1] if path else INIT}; it cannot become {refused}"):
        states.write({"state": str(refused), "extra": 1})
    after = (store.capture_dir("c1") / "state.json").read_bytes() if path else None
    assert before == after


def test_incomplete_is_derived_but_accepted_as_capturing():
    check("c1", "incomplete", S.CAPTURING)
    check("c1", "incomplete", S.DISCARDED)
    with pytest.raises(IllegalTransition):
        check("c1", "incomplete", "bogus")


def test_state_json_is_written_only_through_the_state_file():
    """The lifecycle is enforced in one place: no other module calls the store's raw writer."""
    from tests.conftest import ROOT

    callers = [str(p.relative_to(ROOT)) for folder in ("evidence_crawler", "pipelines", "spiders", "storage")
               for p in (ROOT / folder).rglob("*.py") if ".write_state(" in p.read_text(encoding="utf-8")]
    assert callers == ["evidence_crawler/capture/states.py"]
