"""Across-day scenario families for judging alignment on generators it was not tuned on.

Each family simulates one subject over several days: a k-dimensional latent process (independent
timescales, or a rotation plane plus slow modes), a population whose neurons turn over from day to
day (cumulative fraction relative to day 0), channel order shuffled every day, gains changing, a rest
segment, a reaching task (8 conditions; the behaviour is a 2-D velocity read out linearly from the
latents) and anchor trials (one per reach condition by default) returned as ``(events, time,
channels)``. The families differ in what a careful aligner must survive:

* ``"timescales"`` / ``"rotational"``: Poisson counts, log-linear rates.
* ``"nonlinear"``: saturating (sigmoid) readouts with per-neuron thresholds.
* ``"overdispersed"``: gamma-Poisson counts (Fano factor ~3).
* ``"calcium"``: the counts seen through a GCaMP6f-like indicator (:func:`calcium_from_spikes`).
* ``"latent5"``: a 5-D latent (rotation plane + 3 slow modes).
* ``"drift"``: a slow drift, shared by all neurons, whose level follows the task's reach speed
  (correlated with behaviour) and differs between days.

Every day also returns the true latents and unit ids (evaluation only: no aligner may read them).

Examples
--------
>>> days = alignment_scenario("rotational", seed=0, n_days=2, rest_min=1.0)
>>> days[1].anchors.shape[0], days[1].rest.shape[1]
(8, 100)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .latents import discrete_dynamics, latent_params, run_lds
from .spiking import calcium_from_spikes

__all__ = ["SCENARIO_FAMILIES", "ScenarioDay", "alignment_scenario"]

SCENARIO_FAMILIES = ("timescales", "rotational", "nonlinear", "overdispersed", "calcium", "latent5", "drift")


@dataclass
class ScenarioDay:
    """One simulated day: rest, anchors ``(events, time, channels)``, task and behaviour, truth."""

    rest: np.ndarray
    anchors: np.ndarray
    task: np.ndarray
    behavior: np.ndarray
    unit_ids: np.ndarray
    task_latents: np.ndarray
    info: dict = field(default_factory=dict)


def alignment_scenario(family: str = "timescales", *, seed: int = 0, n_days: int = 6, n_neurons: int = 100,
                       turnover_step: float = 0.15, max_turnover: float = 0.75, rest_min: float = 10.0,
                       n_anchor: int = 8, n_task_trials: int = 48, dt: float = 0.1,
                       k: int | None = None) -> list[ScenarioDay]:
    """Simulate ``n_days`` days of one scenario family (see the module docstring).

    Parameters
    ----------
    family : str
        One of :data:`SCENARIO_FAMILIES`.
    seed : int
        Everything (dynamics parameters, loadings, noise) is drawn from it.
    n_days, n_neurons : int
    turnover_step, max_turnover : float
        Day ``d`` has ``min(d * turnover_step, max_turnover)`` of day 0's neurons replaced.
    rest_min : float
        Rest length per day in minutes.
    n_anchor : int
        Anchor trials per day (cycling through the 8 reach conditions; 0 gives an empty array).
    n_task_trials : int
        Task trials per day (conditions cycled, order shuffled).
    dt : float
        Bin width in s.
    k : int, optional
        Latent dimension (default 3, or 5 for ``"latent5"``).

    Returns
    -------
    list of ScenarioDay
    """
    if family not in SCENARIO_FAMILIES:
        raise ValueError(f"family={family!r} is not one of {SCENARIO_FAMILIES}.")
    rng = np.random.default_rng([seed, SCENARIO_FAMILIES.index(family)])
    k = int(k or (5 if family == "latent5" else 3))
    dyn = "timescales" if family in ("timescales", "nonlinear", "overdispersed") else "rotational"
    params = latent_params(dyn, k, rng)
    A, Q = discrete_dynamics(params, dt=dt)
    # reaching: condition c drives the latents along B [cos, sin](theta_c) for 0.5 s after 0.25 s
    # inputs: direction (cos, sin) plus a condition-invariant component (Kaufman et al. 2016)
    B = rng.standard_normal((k, 3)) * 1.2
    readout = rng.standard_normal((k, 2)) / np.sqrt(k)
    n_pre, n_trial = int(round(0.25 / dt)), int(round(1.5 / dt))
    env = np.zeros(n_trial)
    env[n_pre:n_pre + int(round(0.5 / dt))] = 1.0
    theta = 2 * np.pi * np.arange(8) / 8
    drive = np.stack([B @ np.array([np.cos(t), np.sin(t), 1.0]) for t in theta])  # (8, k)
    qs = np.linalg.cholesky(Q + 1e-12 * np.eye(k))
    # input gain per latent: the 0.5 s input brings fast and slow latents to the drive's amplitude
    a_lat = np.exp(-dt / np.asarray(params["taus"], float))
    gin = (1.0 - a_lat) / (1.0 - a_lat ** int(round(0.5 / dt)))

    def trials(conds: np.ndarray) -> np.ndarray:
        z = np.zeros((len(conds), n_trial, k))
        for e, c in enumerate(conds):
            # reaching trajectories are consistent across trials: the ongoing variability is damped
            zt = 0.3 * run_lds(A, Q, 1, rng)[0]
            for t in range(n_trial):
                zt = A @ zt + 0.3 * qs @ rng.standard_normal(k) + gin * env[t] * drive[c]
                z[e, t] = zt
        return z

    C0 = rng.standard_normal((n_neurons, k)) * 0.5
    b0 = np.log(rng.uniform(5.0, 30.0, n_neurons) * dt)
    thr0 = rng.normal(0.0, 0.7, n_neurons)
    drift_load0 = rng.standard_normal(n_neurons) * 0.4
    ids0, next_id = np.arange(n_neurons), n_neurons
    days = []
    for d in range(n_days):
        frac = min(d * turnover_step, max_turnover)
        n_new = int(round(frac * n_neurons))
        keep = np.sort(rng.choice(n_neurons, n_neurons - n_new, replace=False))
        C = np.vstack([C0[keep], rng.standard_normal((n_new, k)) * 0.5])
        b = np.concatenate([b0[keep], np.log(rng.uniform(5.0, 30.0, n_new) * dt)])
        thr = np.concatenate([thr0[keep], rng.normal(0.0, 0.7, n_new)])
        dl = np.concatenate([drift_load0[keep], rng.standard_normal(n_new) * 0.4])
        ids = np.concatenate([ids0[keep], np.arange(next_id, next_id + n_new)])
        next_id += n_new
        gain = np.exp(rng.normal(0, 0.2, n_neurons)) if d else np.ones(n_neurons)
        perm = rng.permutation(n_neurons)
        C, b, thr, dl, ids, gain = C[perm], b[perm], thr[perm], dl[perm], ids[perm], gain[perm]
        day_level = rng.normal(0, 0.5)

        def observe(z: np.ndarray, drift: np.ndarray | None = None) -> np.ndarray:
            x = z @ C.T
            if family == "nonlinear":
                rate = np.exp(b + 1.0) / (1.0 + np.exp(-3.0 * (x - thr)))
            else:
                rate = np.exp(b + x)
            if drift is not None:
                rate = rate * np.exp(np.outer(drift, dl))
            rate = rate * gain
            if family == "overdispersed":
                rate = rate * rng.gamma(0.5, 2.0, rate.shape)
            counts = rng.poisson(rate).astype(float)
            if family == "calcium":
                return np.asarray(calcium_from_spikes(counts, 1.0 / dt, "GCaMP6f", rng), float)
            return counts

        def slow(n: int, level: float) -> np.ndarray:
            a = np.exp(-dt / 60.0)
            return level + run_lds(np.array([[a]]), np.array([[1 - a * a]]), n, rng)[:, 0] * 0.3

        zr = run_lds(A, Q, int(round(rest_min * 60 / dt)), rng)
        drift_on = family == "drift"
        rest = observe(zr, slow(len(zr), day_level) if drift_on else None)
        conds = rng.permutation(np.resize(np.arange(8), n_task_trials))
        zt = trials(conds)
        vel = zt @ readout
        speed = np.linalg.norm(vel, axis=2)
        task_drift = (day_level + 0.5 * (speed - speed.mean()) / speed.std()).reshape(-1) if drift_on else None
        task = observe(zt.reshape(-1, k), task_drift)
        beh = vel.reshape(-1, 2) + 0.05 * rng.standard_normal((len(conds) * n_trial, 2))
        za = trials(np.arange(n_anchor) % 8)
        if n_anchor:
            an = observe(za.reshape(-1, k), np.full(n_anchor * n_trial, day_level) if drift_on else None)
            anchors = an.reshape(n_anchor, n_trial, n_neurons)
        else:
            anchors = np.zeros((0, n_trial, n_neurons))
        days.append(ScenarioDay(rest=rest, anchors=anchors, task=task, behavior=beh, unit_ids=ids,
                                task_latents=zt.reshape(-1, k),
                                info={"family": family, "turnover": frac, "dt": dt, "k": k, "seed": seed,
                                      "rest_min": rest_min, "n_anchor": n_anchor, "trial_samples": n_trial}))
    return days
