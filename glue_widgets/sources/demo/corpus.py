"""The virtual consortium: labs, subjects, days and sessions of the demo corpus (specification only).

Nothing here simulates; :mod:`.generate` turns a :class:`SessionSpec` into arrays. Names are stable:
other code and the README refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SIZES", "LABS", "Block", "SessionSpec", "HumanSpec", "nwb_sessions", "human_subjects",
           "bids_entries", "CORPUS_VERSION"]

# bump when the generated content changes: the cache directory is keyed on it
CORPUS_VERSION = "6"
SIZES = ("default", "small")


@dataclass(frozen=True)
class Block:
    """One contiguous block of a session's timeline."""

    kind: str            # "rest" | "task" | "anchors" | "active"
    duration: float      # s
    label: str | None    # epoch label written to the file (None: not labelled, e.g. hidden rest)
    state: str = ""      # rest state definition / condition
    arousal: float = 0.0  # mean arousal level in the block
    scale: tuple[float, ...] = ()  # per-latent amplitude in this state (rest states differ)


@dataclass(frozen=True)
class SessionSpec:
    """One synthetic NWB session."""

    uri: str
    lab: str
    subject: str
    session: str
    day: int
    generator: str
    family: str
    k: int
    blocks: tuple[Block, ...]
    regions: tuple[tuple[str, int], ...]          # (region, number of units/cells)
    modality: str                                 # "spikes" | "calcium"
    rest_kind: str                                # "epochs" | "behavior"
    turnover: float = 0.0
    gain_sd: float = 0.0
    comm: tuple[str, str, int] | None = None      # (source region, target region, rank)
    lfp_channels: int = 0
    lfp_fs: float = 250.0
    latent_fs: float = 50.0
    n_anchor: int = 12
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return f"{self.lab}_{self.subject}_{self.session}"

    @property
    def duration(self) -> float:
        return float(sum(b.duration for b in self.blocks))


@dataclass(frozen=True)
class HumanSpec:
    """One human subject of lab "delta": simultaneous scalp EEG and ECoG, BIDS task-rest + task run."""

    subject: str          # BIDS label, e.g. "01"
    generator: str
    k: int
    rest_open: float
    rest_closed: float
    task: float
    n_stim: int
    sex: str
    age: int
    hemisphere: str       # ECoG grid side


LABS: dict[str, dict[str, Any]] = {
    "arbor": {
        "institution": "Arbor Institute of Neural Dynamics (virtual)", "species": "Mus musculus",
        "species_common": "mouse", "apparatus": "head-fixed on a running wheel; Neuropixels probes in V1 and V2",
        "experimenter": ["Ash, Rowan"], "state": "head-fixed task-free: gray screen (Spon.1) and dark (Spon.2)",
    },
    "birch": {
        "institution": "Birch Optical Physiology Lab (virtual)", "species": "Mus musculus",
        "species_common": "mouse", "apparatus": "head-fixed on a treadmill; two-photon imaging of L2/3 V1 (GCaMP6f)",
        "experimenter": ["Birch, Sasha"], "state": "head-fixed task-free in the dark; quiet wakefulness (not labelled)",
    },
    "cedar": {
        "institution": "Cedar Primate Center (virtual)", "species": "Macaca mulatta",
        "species_common": "macaque", "apparatus": "chair-seated, head-restrained; Utah arrays in PMd and M1",
        "experimenter": ["Cedar, Alex"], "state": "eyes-open fixation",
    },
    "elm": {
        "institution": "Elm Hippocampus Group (virtual)", "species": "Rattus norvegicus",
        "species_common": "rat", "apparatus": "freely moving; tetrode drive in CA1; linear track and home cage",
        "experimenter": ["Elm, Jordan"], "state": "freely moving task-free (home cage)",
    },
    "delta": {
        "institution": "Delta Clinical Neurophysiology (virtual)", "species": "Homo sapiens",
        "species_common": "human", "apparatus": "scalp EEG (10-20, 32 channels) with simultaneous subdural ECoG grid",
        "experimenter": ["Delta, Kim"], "state": "eyes open fixation (Spon.1) and eyes closed (Spon.2)",
    },
}


def _scale(size: str, default: float, small: float) -> float:
    return default if size == "default" else small


def nwb_sessions(size: str = "default") -> list[SessionSpec]:
    """Every synthetic NWB session of the corpus at ``size``."""
    S = lambda d, s: _scale(size, d, s)  # noqa: E731
    out: list[SessionSpec] = []
    # --- arbor: mouse m01 (timescales) over 4 days, m02 (rotational) over 3 days; spikes V1 -> V2
    for subj, family, n_days in (("m01", "timescales", 4), ("m02", "rotational", 3)):
        turn = (0.0, 0.25, 0.5, 0.75)
        for d in range(n_days):
            blocks = (
                Block("rest", S(600, 90), "spontaneous gray screen", "gray screen", -0.3, (1.0,)),
                Block("anchors", S(60, 30), None, "anchor flashes", 0.1),
                Block("task", S(300, 60), "task", "2-D ball steering", 0.8),
                Block("rest", S(180, 40), "spontaneous dark", "dark", -0.1, (1.5, 1.0, 0.6, 1.0, 1.2)),
            )
            out.append(SessionSpec(
                uri=f"demo://arbor/{subj}/day{d}", lab="arbor", subject=subj, session=f"day{d}", day=d,
                generator=f"arbor-{subj}", family=family, k=5, blocks=blocks,
                regions=(("V1", int(S(60, 24))), ("V2", int(S(40, 18)))), modality="spikes", rest_kind="epochs",
                turnover=turn[d] if family == "timescales" else (0.0, 0.5, 0.75)[d], gain_sd=0.25 if d else 0.0,
                comm=("V1", "V2", 2), lfp_channels=4, lfp_fs=250.0,
            ))
    # --- birch: calcium, rest NOT labelled (found from running/pupil); b01 over 2 days, b02 one day
    for subj, family, days in (("b01", "timescales", 2), ("b02", "rotational", 1)):
        for d in range(days):
            blocks = (
                # 60 s in both sizes: a 20-s opening block could pass without a single running bout,
                # and then no behavioural rule can tell it from the rest that follows
                Block("active", 60.0, None, "running bouts", 1.6),
                Block("rest", S(600, 90), None, "quiet wakefulness, dark", -0.6, (1.0,)),
                Block("anchors", S(60, 30), None, "anchor flashes", 0.1),
                Block("task", S(300, 60), "task", "2-D ball steering", 0.8),
                Block("active", S(60, 20), None, "running bouts", 1.6),
            )
            out.append(SessionSpec(
                uri=f"demo://birch/{subj}/s{d + 1}", lab="birch", subject=subj, session=f"s{d + 1}", day=d,
                generator=f"birch-{subj}", family=family, k=4, blocks=blocks,
                regions=(("V1", int(S(100, 30))),), modality="calcium", rest_kind="behavior",
                turnover=0.3 if d else 0.0, gain_sd=0.2 if d else 0.0, latent_fs=30.0,
                extra={"indicator": "GCaMP6f"},
            ))
    # --- cedar: macaque, rotational dynamics, PMd -> M1 communication subspace of rank 3
    blocks = (
        Block("rest", S(600, 90), "rest eyes-open fixation", "eyes-open fixation", 0.0, (1.0,)),
        Block("anchors", S(60, 30), None, "anchor flashes", 0.2),
        Block("task", S(360, 60), "task", "center-out reaching", 0.7),
    )
    out.append(SessionSpec(
        uri="demo://cedar/k01/s1", lab="cedar", subject="k01", session="s1", day=0, generator="cedar-k01",
        family="rotational", k=6, blocks=blocks, regions=(("PMd", int(S(48, 16))), ("M1", int(S(72, 24)))),
        modality="spikes", rest_kind="epochs", comm=("PMd", "M1", 3),
    ))
    # --- elm: rat, one hour: linear track then home cage (the >= 1 h stream)
    blocks = (
        Block("task", 1200.0, "task linear track", "linear track running", 1.2),
        Block("rest", 2400.0, "rest home cage", "freely moving task-free (home cage)", -0.4, (1.0,)),
    )
    out.append(SessionSpec(
        uri="demo://elm/r01/long", lab="elm", subject="r01", session="long", day=0, generator="elm-r01",
        family="timescales", k=4, blocks=blocks, regions=(("CA1", int(S(40, 6))),), modality="spikes",
        rest_kind="epochs", lfp_channels=int(S(4, 2)), lfp_fs=S(250.0, 100.0), latent_fs=S(50.0, 25.0), n_anchor=0,
    ))
    return out


def human_subjects(size: str = "default") -> list[HumanSpec]:
    """The three human subjects of lab "delta"."""
    S = lambda d, s: _scale(size, d, s)  # noqa: E731
    return [
        HumanSpec(f"{i:02d}", f"delta-sub-{i:02d}", 4, S(300, 60), S(300, 60), S(240, 60), int(S(20, 8)),
                  sex, age, hemi)
        for i, sex, age, hemi in ((1, "F", 34, "left"), (2, "M", 41, "right"), (3, "F", 27, "left"))
    ]


def bids_entries(size: str = "default") -> list[dict[str, Any]]:
    """One entry per BIDS data file: uri, subject, task, datatype."""
    out = []
    for h in human_subjects(size):
        for task in ("rest", "checkerboard"):
            for dtype in ("eeg", "ieeg"):
                out.append({"uri": f"demo://delta/sub-{h.subject}/{task}/{dtype}", "subject": h.subject,
                            "task": task, "datatype": dtype, "spec": h})
    return out
