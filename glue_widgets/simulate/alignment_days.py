"""A small across-days generator for the alignment tests and benchmarks.

The demo corpus (``glue_widgets.sources.demo``) holds the full consortium; this module keeps the
alignment tests self-contained: a k-dim linear latent process seen through a rate nonlinearity by a
population whose neurons turn over across days, with a behavioural variable read out linearly from
the latents and a few anchor events whose latent response is the same every day. The latent
dynamics come from the shared generators (:mod:`glue_widgets.simulate`, also behind the demo corpus);
only the across-days scenario (turnover, gains, anchors, softplus-Poisson counts) is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .latents import discrete_dynamics, run_lds

__all__ = ["latent_dynamics", "simulate_days", "Day"]


def latent_dynamics(family: str, k: int = 4, dt: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(A, noise_cov)`` of a discrete VAR(1) latent process with step ``dt`` seconds.

    ``"timescales"``: independent OU latents with distinct time constants (0.1 s ... 1.6 s).
    ``"rotational"``: a damped rotation plane (2 Hz, 0.5 s decay) with isotropic noise, plus
    ``k - 2`` slower OU latents with distinct time constants.
    """
    # fixed (not drawn) parameters, so every day of a scenario shares them exactly
    if family == "timescales":
        params = {"k": k, "taus": 0.1 * 2.0 ** np.arange(k), "rotation_hz": np.zeros(k), "plane": None}
    elif family == "rotational":
        if k < 2:
            raise ValueError("rotational dynamics need k >= 2")
        taus = np.concatenate([[0.5, 0.5], 0.15 * 2.5 ** np.arange(k - 2)])
        params = {"k": k, "taus": taus, "rotation_hz": np.r_[2.0, 2.0, np.zeros(k - 2)], "plane": (0, 1)}
    else:
        raise ValueError(f"unknown family {family!r}")
    return discrete_dynamics(params, dt=dt)


@dataclass
class Day:
    """One simulated session: rest and task counts, task latents, behaviour, anchors, unit ids."""

    rest: np.ndarray
    task: np.ndarray
    behavior: np.ndarray
    anchors: np.ndarray
    unit_ids: np.ndarray
    rest_latents: np.ndarray
    task_latents: np.ndarray
    info: dict = field(default_factory=dict)


def simulate_days(
    family: str = "timescales",
    k: int = 4,
    n_neurons: int = 200,
    turnover: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75),
    rest_s: float = 600.0,
    task_s: float = 120.0,
    dt: float = 0.02,
    n_anchor: int = 8,
    anchor_s: float = 0.4,
    seed: int = 0,
    anchor_kind: str = "sweep",
    anchor_pre_s: float = 0.5,
    anchor_offset: float = 0.0,
) -> list[Day]:
    """Simulate one subject over days with neuron turnover relative to day 0.

    Activity is Poisson counts per ``dt`` bin of ``rate = softplus(C z + b) * gain``; the loadings
    ``C`` of persisting neurons are kept, turned-over neurons get new loadings and new ids, every
    neuron's gain changes by day (log-normal, 20 %). During the task a 2-D behavioural variable is a
    fixed linear readout of the latents. Anchor events: ``n_anchor`` repeats of the same latent
    trajectory (a fixed ``anchor_s`` s pulse response), concatenated.

    ``anchor_kind="evoked"`` is closer to real (and demo) anchors: one fixed random direction times an
    alpha-function envelope, *added to the ongoing latent dynamics*, each event returned with
    ``anchor_pre_s`` of pre-event baseline as ``(n_anchor, time, neurons)``; ``anchor_offset`` adds
    a day-specific shift of every latent during the anchor block (a behavioural-state change).
    """
    rng = np.random.default_rng(seed)
    A, Q = latent_dynamics(family, k, dt)
    readout = rng.standard_normal((k, 2)) / np.sqrt(k)
    n_a = int(round(anchor_s / dt))
    # the anchor's latent response: same every day (a deterministic decaying sweep)
    tt = np.arange(n_a) * dt
    anchor_lat = np.stack([np.sin(2 * np.pi * (j + 1) * tt / anchor_s + j) * 1.5 for j in range(k)], 1)
    C0 = rng.standard_normal((n_neurons, k)) * 0.6
    b0 = rng.normal(-1.0, 0.5, n_neurons)
    ids0 = np.arange(n_neurons)
    next_id = n_neurons
    days = []
    for d, frac in enumerate(turnover):
        n_new = int(round(frac * n_neurons))
        keep = np.sort(rng.choice(n_neurons, n_neurons - n_new, replace=False))
        C = np.vstack([C0[keep], rng.standard_normal((n_new, k)) * 0.6])
        b = np.concatenate([b0[keep], rng.normal(-1.0, 0.5, n_new)])
        ids = np.concatenate([ids0[keep], np.arange(next_id, next_id + n_new)])
        next_id += n_new
        gain = np.exp(rng.normal(0, 0.2, n_neurons)) if d else np.ones(n_neurons)
        perm = rng.permutation(n_neurons)  # channel order carries no correspondence
        C, b, ids, gain = C[perm], b[perm], ids[perm], gain[perm]

        def counts(z: np.ndarray) -> np.ndarray:
            rate = np.logaddexp(0.0, z @ C.T + b) * gain * (dt / 0.02) * 0.5
            return rng.poisson(rate).astype(float)

        zr = run_lds(A, Q, int(rest_s / dt), rng)
        zt = run_lds(A, Q, int(task_s / dt), rng)
        beh = zt @ readout + 0.1 * rng.standard_normal((len(zt), 2))
        if anchor_kind == "evoked":
            ra = np.random.default_rng([seed, 7])  # the stimulus: same every day
            direction = ra.standard_normal(k)
            direction /= np.linalg.norm(direction)
            env = (tt / 0.1) * np.exp(1 - tt / 0.1)
            n_pre = int(round(anchor_pre_s / dt))
            shift = anchor_offset * rng.standard_normal(k)
            ev = []
            for _ in range(n_anchor):
                z_e = run_lds(A, Q, n_pre + n_a, rng) + shift
                z_e[n_pre:] += 2.0 * env[:, None] * direction[None, :]
                ev.append(counts(z_e))
            anchors = np.stack(ev)
        elif anchor_kind == "sweep":
            za = np.vstack([anchor_lat] * n_anchor) + 0.05 * rng.standard_normal((n_a * n_anchor, k))
            anchors = counts(za)
        else:
            raise ValueError(f"anchor_kind={anchor_kind!r}; use 'sweep' or 'evoked'.")
        days.append(Day(rest=counts(zr), task=counts(zt), behavior=beh, anchors=anchors,
                        unit_ids=ids, rest_latents=zr, task_latents=zt,
                        info={"turnover": frac, "family": family, "dt": dt, "n_anchor": n_anchor,
                              "anchor_samples": n_a}))
    return days
