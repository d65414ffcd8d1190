"""Which epoch labels mean rest, stimulus or task, and the state definition a rest label implies.

Labels come from NWB epochs/intervals tables, BIDS ``events.tsv`` and BIDS task names; they are free
text, so matching is by regular expression on the lower-cased label (``_`` and ``-`` read as spaces).
"""

from __future__ import annotations

import re

__all__ = ["REST_WORDS", "REST_PATTERNS", "STIMULUS_PATTERNS", "TASK_PATTERNS", "classify_label", "state_from_label",
           "rest_label_rank", "rest_match"]

#: human-readable list of the rest vocabulary (for error messages)
REST_WORDS = ("spontaneous", "spon.N", "rest", "resting state", "gray/grey screen", "blank", "baseline",
              "eyes open/closed", "fixation", "dark", "background", "quiet", "sleep", "home cage")

# ordered: the first patterns are the most explicit statements that the animal/person was at rest
REST_PATTERNS: tuple[str, ...] = (
    r"\bspont(aneous)?\b", r"\bspon\.?\s*\d*\b", r"\brest(ing)?\b", r"\bresting[ ]?state\b",
    r"\bgr[ae]y ?screen\b", r"\bblank\b", r"\bbaseline\b", r"\beyes ?(open|closed)\b", r"\bfixation\b",
    r"\bdark\b", r"\bbackground\b", r"\bquiet\b", r"\bsleep\b", r"\bhome ?cage\b", r"\bsleep ?box\b",
    r"\btask ?free\b",
)
# BIDS task names abbreviate rest: task-rs, task-eo / task-ec (eyes open / closed), task-restingstate
_BIDS_REST = re.compile(r"(?<![a-z])(rs|eo|ec|eyes ?opened|restingstate)(?![a-z])")
STIMULUS_PATTERNS: tuple[str, ...] = (
    r"\bstim(ulus|ulation|uli)?\b", r"\banchor\b", r"\bflash(es)?\b", r"\bgratings?\b", r"\bmovie\b",
    r"\btones?\b", r"\bsound\b", r"\bodou?r\b", r"\bpuff\b", r"\bopto\b", r"\blaser\b", r"\bprobe\b",
    r"\bsquare\b", r"\bnatural (scenes|images)\b",
)
TASK_PATTERNS: tuple[str, ...] = (
    r"\btask\b", r"\btrials?\b", r"\brun(ning)?\b", r"\breach(ing)?\b", r"\bdecision\b", r"\bcue\b",
    r"\breward\b", r"\barithmetic\b", r"\bmotor\b", r"\bimagery\b", r"\bencoding\b", r"\brecognition\b",
    r"\bnavigation\b", r"\bmaze\b", r"\btrack\b", r"\bbehav(iou?r)?\b", r"\bresponse\b", r"\brt\b",
    r"\bgo\b", r"\bnogo\b", r"\bsubtraction\b",
)

_REST = [re.compile(p) for p in REST_PATTERNS]
_STIM = [re.compile(p) for p in STIMULUS_PATTERNS]
_TASK = [re.compile(p) for p in TASK_PATTERNS]


def _norm(label: object) -> str:
    return re.sub(r"[_\-/]+", " ", str(label).strip().lower())


def classify_label(label: object) -> str:
    """Return ``"rest"``, ``"stimulus"``, ``"task"`` or ``"other"`` for an epoch label.

    A label naming both (``"rest between trials"``) counts as rest only when no stimulus word
    is in it; ``"pre-stimulus baseline"`` is therefore a stimulus epoch (it is part of a trial).

    Examples
    --------
    >>> classify_label("Spontaneous"), classify_label("gray_screen"), classify_label("anchor")
    ('rest', 'rest', 'stimulus')
    """
    s = _norm(label)
    stim = any(p.search(s) for p in _STIM)
    rest = any(p.search(s) for p in _REST)
    task = any(p.search(s) for p in _TASK)
    if rest and not stim:
        # "rest run" / "resting task" still say rest; "trial" + "baseline" is a trial period
        if task and re.search(r"\btrials?\b", s):
            return "task"
        return "rest"
    if stim:
        return "stimulus"
    if task:
        return "task"
    return "other"


def rest_match(text: object) -> str | None:
    """The rest word that ``text`` (an epoch label, a BIDS task name or a task description) contains.

    None when the text is not a rest label (see :func:`classify_label`: a stimulus word wins) and holds
    none of the BIDS abbreviations (``rs``, ``eo``, ``ec``, ``restingstate``).

    Examples
    --------
    >>> rest_match("eyesclosed"), rest_match("task-rs"), rest_match("Spontaneous activity"), rest_match("flash")
    ('eyesclosed', 'rs', 'spontaneous', None)
    """
    s = _norm(text)
    if classify_label(s) == "rest":
        for p in _REST:
            m = p.search(s)
            if m:
                return m.group(0)
    if any(p.search(s) for p in _STIM):
        return None
    m = _BIDS_REST.search(s)
    return m.group(0) if m else None


def rest_label_rank(label: object) -> int:
    """Index of the first rest pattern a label matches (smaller = more explicit); large if none."""
    s = _norm(label)
    for i, p in enumerate(_REST):
        if p.search(s):
            return i
    return len(_REST)


def state_from_label(label: object) -> str:
    """A RestCard state definition implied by a rest label (DESIGN §4 vocabulary).

    Examples
    --------
    >>> state_from_label("gray screen")
    'gray screen'
    >>> state_from_label("task-rest")
    'rest'
    """
    s = _norm(label)
    if re.search(r"\beyes ?closed\b", s):
        return "eyes-closed rest"
    if re.search(r"\beyes ?open\b", s) or re.search(r"\bfixation\b", s):
        return "eyes-open fixation"
    if re.search(r"\bgr[ae]y ?screen\b", s):
        return "gray screen"
    if re.search(r"\bdark\b", s):
        return "dark"
    if re.search(r"\bblank\b", s):
        return "blank screen"
    if re.search(r"\bsleep\b", s):
        return "sleep/rest box"
    if re.search(r"\bspon", s):
        return "spontaneous"
    if re.search(r"\bbaseline\b", s):
        return "baseline"
    if re.search(r"\bbackground\b", s):
        return "resting background"
    return "rest"
