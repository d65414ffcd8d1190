"""Which epoch labels mean rest, stimulus or task, and the state definition a rest label implies.

Labels come from NWB epochs/intervals tables, BIDS ``events.tsv`` and BIDS task names; they are free
text, so matching is by regular expression on the lower-cased label (``_`` and ``-`` read as spaces).
"""

from __future__ import annotations

import re

__all__ = ["REST_WORDS", "REST_PATTERNS", "STIMULUS_PATTERNS", "TASK_PATTERNS", "classify_label", "state_from_label",
           "rest_label_rank", "rest_match", "is_rest_label", "NOT_REST_PATTERNS"]

#: human-readable list of the rest vocabulary (for error messages)
REST_WORDS = ("spontaneous", "spon.N", "rest", "resting state", "gray/grey screen", "blank", "baseline",
              "pre-task baseline", "eyes open/closed", "fixation", "dark(ness)/lights off", "black screen",
              "background", "quiet wake(fulness)", "quiescence", "immobility", "sleep (NREM/SWS/REM)", "home cage",
              "task-free", "no stimulus")

# ordered: the first patterns are the most explicit statements that the animal/person was at rest
REST_PATTERNS: tuple[str, ...] = (
    r"\bspont(aneous)?\b", r"\bspon\.?\s*\d*\b", r"\brest(ing)?\b", r"\bresting[ ]?state\b",
    r"\bgr[ae]y ?screen\b", r"\bblank\b", r"\bbaseline\b", r"\beyes ?(open|closed)\b", r"\bfixation\b",
    r"\bdark(ness)?\b", r"\blights? ?off\b", r"\bblack ?screen\b", r"\bbackground\b", r"\bquiet\b", r"\bsleep\b", r"\bhome ?cage\b", r"\bsleep ?box\b",
    r"\btask ?free\b", r"\bquiesc(ent|ence)\b", r"\bimmobil(e|ity)\b", r"\b(nrem|sws|rem|slow ?wave ?sleep)\b", r"\bqw\b",
    r"\bmean luminance\b", r"\bstim(ulus|uli)? ?free\b",
)
# periods inside a trial structure are not rest, whatever rest word they carry ("inter-trial rest", "ITI")
NOT_REST_PATTERNS: tuple[str, ...] = (r"\binter ?trials?\b", r"\bintertrial\b", r"\biti\b", r"\bbetween trials\b")
# "no stimulus", "without stimulation", "stimulus off": a stimulus word that says there was none
_NEGATED_STIM = re.compile(r"\b(no|without|absent|free of|off)\s+(visual |auditory |sensory )?stim\w*|"
                           r"\bstim\w* ?(free|off|absent)\b")
# BIDS task names abbreviate rest and glue words: task-rs, task-eo / task-ec (eyes open / closed), task-restingstate,
# task-restEC, task-prerest, task-rsfmri
_BIDS_REST = re.compile(r"(?<![a-z])((pre|post)?rest(ing)?(state)?(eo|ec|eyes ?(open|closed)|open|closed|pre|post|"
                        r"run)?\d*|rs(fmri|eeg|meg)?\d*|eo|ec|eyes ?opened)(?![a-z])")
STIMULUS_PATTERNS: tuple[str, ...] = (
    r"\bstim(ulus|ulation|uli)?\b", r"\banchor\b", r"\bflash(es)?\b", r"\bgratings?\b", r"\bmovie\b",
    r"\btones?\b", r"\bsound\b", r"\bodou?r\b", r"\bpuff\b", r"\bopto\b", r"\blaser\b", r"\bprobe\b",
    r"\bsquare\b", r"\bnatural (scenes|images)\b", r"\bpre ?stim(ulus)?\b",
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
_NOT_REST = [re.compile(p) for p in NOT_REST_PATTERNS]


def _norm(label: object) -> str:
    return re.sub(r"[_\-/]+", " ", str(label).strip().lower())


def classify_label(label: object) -> str:
    """Return ``"rest"``, ``"stimulus"``, ``"task"`` or ``"other"`` for an epoch label.

    A label naming both counts as rest only when no stimulus word is in it; ``"pre-stimulus baseline"``
    is therefore a stimulus epoch (it is part of a trial). A stimulus word that says there was none
    (``"no stimulus"``, ``"stimulus off"``) means rest. Periods inside a trial structure
    (``"inter-trial interval"``, ``"ITI"``, ``"rest between trials"``) are ``"task"``, never rest.

    Examples
    --------
    >>> classify_label("Spontaneous"), classify_label("gray_screen"), classify_label("anchor")
    ('rest', 'rest', 'stimulus')
    >>> classify_label("quiet wakefulness"), classify_label("pre-task baseline"), classify_label("inter-trial interval")
    ('rest', 'rest', 'task')
    """
    s = _norm(label)
    if any(p.search(s) for p in _NOT_REST):
        return "task"
    stim = any(p.search(_NEGATED_STIM.sub(" ", s)) for p in _STIM)
    rest = any(p.search(s) for p in _REST) or (bool(_NEGATED_STIM.search(s)) and not stim)
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
        m = _NEGATED_STIM.search(s)
        if m:
            return m.group(0)
    if any(p.search(s) for p in _NOT_REST) or any(p.search(_NEGATED_STIM.sub(" ", s)) for p in _STIM):
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
    if re.search(r"\beyes ?closed\b", s) or re.search(r"(?<![a-z])(rest(ing)?(state)?)?ec(?![a-z])", s):
        return "eyes-closed rest"
    if (re.search(r"\beyes ?open\b", s) or re.search(r"\bfixation\b", s)
            or re.search(r"(?<![a-z])(rest(ing)?(state)?)?eo(?![a-z])", s)):
        return "eyes-open fixation"
    if re.search(r"\bgr[ae]y ?screen\b", s):
        return "gray screen"
    if re.search(r"\bdark(ness)?\b", s) or re.search(r"\blights? ?off\b", s):
        return "dark"
    if re.search(r"\bblack ?screen\b", s):
        return "black screen"
    if re.search(r"\bblank\b", s):
        return "blank screen"
    if re.search(r"\b(sleep|nrem|sws|rem)\b", s):
        return "sleep/rest box"
    if re.search(r"\bquiet ?wake", s) or re.search(r"\bqw\b", s) or re.search(r"\bquiesc", s) or re.search(r"\bimmobil", s):
        return "quiet wakefulness"
    if re.search(r"\bspon", s):
        return "spontaneous"
    if re.search(r"\bbaseline\b", s):
        return "baseline"
    if re.search(r"\bbackground\b", s):
        return "resting background"
    return "rest"


def is_rest_label(label: object) -> bool:
    """True when ``label`` (an epoch label or a BIDS task name) means rest: :func:`rest_match` finds a rest word.

    Examples
    --------
    >>> is_rest_label("task-restEC"), is_rest_label("Spontaneous activity"), is_rest_label("ITI")
    (True, True, False)
    """
    return rest_match(label) is not None
