"""The course plan of the book: one time estimate per chapter, read by every page that shows it.

Each chapter's header ("Time") and the course map of the preface and of the instructors' page
are made from ``PLAN``, so a change of plan is made here once.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .claims import _Markdown

__all__ = ["Chapter", "Exercise", "PLAN", "KINDS", "time_note", "course_map", "total_minutes",
           "exercises", "exercise_table"]


@dataclasses.dataclass(frozen=True)
class Chapter:
    """One chapter of the course: its file stem, label, content and minutes per activity."""

    stem: str
    label: str
    content: str
    reading: int
    experiments: int
    exercises: int

    @property
    def minutes(self) -> int:
        return self.reading + self.experiments + self.exercises


PLAN: tuple[Chapter, ...] = (
    Chapter("background", "background",
            "mirror descent, Bregman divergences, gradient descent as mirror descent", 30, 15, 40),
    Chapter("setup", "setup",
            "the regression problem, smoothed sign descent, Assumptions 3.2 and 3.3", 30, 15, 40),
    Chapter("stages", "stages", "Propositions 3.4-3.7: the three stages, Figure 1", 45, 25, 50),
    Chapter("kkt", "kkt", "the KKT characterisation, Theorem 3.9, Figures 2 and 3", 40, 35, 35),
    Chapter("higher_order", "higher-order",
            r"depth $H \ge 2$: the corrected potential and sparsity", 35, 20, 50),
    Chapter("beyond", "beyond",
            "steepest mirror flows, saddle escape, weight decay and Adam", 50, 30, 50),
)


def _chapter(stem: str) -> Chapter:
    for c in PLAN:
        if c.stem == stem:
            return c
    raise ValueError(f"`stem` must be one of {[c.stem for c in PLAN]}, not {stem!r}.")


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    h = "1 hour" if hours == 1 else f"{hours} hours"
    return h if not rest else f"{h} {rest} minutes"


def time_note(stem: str) -> _Markdown:
    """The chapter header's time estimate, e.g. "**Time.** About 1 hour 15 minutes: ...".

    Parameters
    ----------
    stem : str
        The chapter's file name without suffix (``"kkt"``).
    """
    c = _chapter(stem)
    return _Markdown(
        f"**Time.** About {_duration(c.minutes)}: {c.reading} minutes of reading, "
        f"{c.experiments} minutes with the experiments and widgets, {c.exercises} minutes of "
        "exercises."
    )


def total_minutes() -> int:
    """Minutes of the whole course (reading, experiments and exercises of every chapter)."""
    return sum(c.minutes for c in PLAN)


def course_map() -> _Markdown:
    """The course map: one row per chapter with its content and time, and the total."""
    lines = ["| chapter | content | reading | experiments | exercises | total |",
             "| :-- | :-- | --: | --: | --: | --: |"]
    for c in PLAN:
        lines.append(f"| {{ref}}`{c.label}` | {c.content} | {c.reading} min | "
                     f"{c.experiments} min | {c.exercises} min | {c.minutes} min |")
    lines.append(f"| | **whole course** | | | | **{_duration(total_minutes())}** |")
    return _Markdown("\n".join(lines))


KINDS = ("proof", "computation", "exploration")
"""Types of exercise: a proof on paper, a computation with ``ssdlib``, an exploration with the
figures and widgets."""

_EXERCISE = re.compile(
    r"^`{3,}\{exercise-start\}(?P<title>[^\n]*)\n:label: (?P<label>\S+)", re.M)
_TAG = re.compile(r"\((?P<stars>★{1,3}), (?P<kind>[a-z]+)\)\s*$")


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter, as its title labels it: ``Title (★★, proof)``."""

    chapter: str
    label: str
    title: str
    stars: int
    kind: str


def exercises(book: Path | str | None = None) -> list[Exercise]:
    """Every exercise of the chapters of ``PLAN``, read from the chapters' sources.

    An exercise is a gated ``exercise-start`` block whose title ends with its difficulty (one
    to three stars) and type, e.g. ``Gradient of Psi (★★, proof)``.

    Parameters
    ----------
    book : path, optional
        The folder of the chapters; by default ``book/`` beside the package.

    Raises
    ------
    ValueError
        If an exercise has no title, or its title does not end with ``(★.., kind)`` with a kind
        of ``KINDS``.
    """
    folder = Path(book) if book is not None else Path(__file__).resolve().parents[1] / "book"
    out = []
    for c in PLAN:
        text = (folder / f"{c.stem}.md").read_text(encoding="utf-8")
        for m in _EXERCISE.finditer(text):
            title = m.group("title").strip()
            tag = _TAG.search(title)
            if not tag or tag.group("kind") not in KINDS:
                raise ValueError(
                    f"exercise {m.group('label')} of {c.stem}.md: its title {title!r} must end "
                    f"with its difficulty and type, e.g. '(★★, proof)'; types: {KINDS}."
                )
            out.append(Exercise(c.stem, m.group("label"), title[: tag.start()].strip(),
                                len(tag.group("stars")), tag.group("kind")))
    return out


def exercise_table(book: Path | str | None = None) -> _Markdown:
    """All exercises as one table: chapter, exercise (linked), difficulty, type."""
    label = {c.stem: c.label for c in PLAN}
    lines = ["| chapter | exercise | about | difficulty | type |",
             "| :-- | :-- | :-- | :-- | :-- |"]
    for e in exercises(book):
        # the link's text is the exercise's number; the title (with its math) has its own cell
        lines.append(f"| {{ref}}`{label[e.chapter]}` | {{ref}}`{e.label}` | {e.title} | "
                     f"{'★' * e.stars} | {e.kind} |")
    return _Markdown("\n".join(lines))
