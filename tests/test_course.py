"""The one course plan: chapter headers and course maps are made from it."""

import re
from pathlib import Path

import pytest

from ssdlib.course import PLAN, course_map, time_note, total_minutes

ROOT = Path(__file__).resolve().parents[1]


def test_plan_lists_the_numbered_chapters_in_toc_order():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    files = re.findall(r"file: book/(\w+)", toc)
    numbered = [f for f in files if f in {c.stem for c in PLAN}]
    assert numbered == [c.stem for c in PLAN]


def test_time_note_adds_up():
    c = PLAN[3]
    text = time_note(c.stem)._repr_markdown_()
    parts = [int(m) for m in re.findall(r"(\d+) minutes of|(\d+) minutes with", text)
             for m in m if m]
    assert sum(parts) == c.minutes
    hours, rest = divmod(c.minutes, 60)
    expected = {1: "1 hour"}.get(hours, f"{hours} hours") + (f" {rest} minutes" if rest else "")
    assert text.startswith(f"**Time.** About {expected}:")


def test_course_map_has_every_chapter_and_the_total():
    text = course_map()._repr_markdown_()
    rows = text.splitlines()[2:]
    assert len(rows) == len(PLAN) + 1
    assert total_minutes() == sum(c.reading + c.experiments + c.exercises for c in PLAN)
    assert f"{total_minutes() // 60} hours" in rows[-1]


def test_unknown_chapter_is_rejected():
    with pytest.raises(ValueError, match="`stem`"):
        time_note("chapter7")


def test_chapters_take_their_time_from_the_plan():
    for c in PLAN:
        text = (ROOT / "book" / f"{c.stem}.md").read_text(encoding="utf-8")
        assert f'time_note("{c.stem}")' in text, f"{c.stem}.md does not show course.time_note"
        assert "**Time" not in text, f"{c.stem}.md types its own time estimate"


def test_exercises_are_read_from_their_titles(tmp_path):
    from ssdlib.course import exercises

    for c in PLAN:
        (tmp_path / f"{c.stem}.md").write_text("no exercises\n", encoding="utf-8")
    (tmp_path / "kkt.md").write_text(
        "````{exercise-start} The gap of eq. (55) (★★, proof)\n:label: ex-kkt-55\n````\n"
        "text\n````{exercise-start} Move eps (★, exploration)\n:label: ex-kkt-move\n````\n",
        encoding="utf-8")
    found = exercises(tmp_path)
    assert [(e.label, e.title, e.stars, e.kind) for e in found] == [
        ("ex-kkt-55", "The gap of eq. (55)", 2, "proof"),
        ("ex-kkt-move", "Move eps", 1, "exploration"),
    ]
    (tmp_path / "kkt.md").write_text("````{exercise-start} No tag\n:label: ex-x\n````\n",
                                     encoding="utf-8")
    with pytest.raises(ValueError, match="ex-x"):
        exercises(tmp_path)


def test_every_chapter_has_labelled_exercises_of_each_kind():
    from ssdlib.course import exercises

    found = exercises()
    for c in PLAN[1:]:  # chapters 2 to 6
        mine = [e for e in found if e.chapter == c.stem]
        assert len(mine) >= 4, f"{c.stem}: {len(mine)} exercises"
        kinds = {e.kind for e in mine}
        assert {"proof", "computation"} <= kinds, f"{c.stem}: kinds {kinds}"
