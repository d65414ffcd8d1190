"""Turn corpus specifications into arrays (data + ground truth), deterministically from the seed.

Every random stream is keyed by names (``zlib.crc32``), never by call order across sessions, so one
session's content does not depend on which other sessions are built, or in which process.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from ... import simulate as sim
from .corpus import HumanSpec, SessionSpec

__all__ = ["SEED", "rng_for", "generator_params", "generate_session", "generate_human_run",
           "EEG_CHANNELS", "SOURCE_NAMES"]

SEED = 20240601
AROUSAL_DRIFT_SD, AROUSAL_DRIFT_TAU = 0.35, 150.0  # slow vigilance drift of the arousal level (see generate_session)

EEG_CHANNELS = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2", "FC6", "T7", "C3", "Cz",
                "C4", "T8", "CP5", "CP1", "CP2", "CP6", "P7", "P3", "Pz", "P4", "P8", "PO3", "PO4", "O1",
                "Oz", "O2", "TP9", "TP10"]
SOURCE_NAMES = ["occipital_L", "occipital_R", "motor_L", "motor_R", "frontal", "temporal"]


def rng_for(*keys: Any) -> np.random.Generator:
    """A Generator keyed by names: ``rng_for("arbor-m01", "units", 2)``."""
    words = [zlib.crc32(str(k).encode()) for k in keys]
    return np.random.default_rng(np.random.SeedSequence([SEED, *words]))


# --------------------------------------------------------------------------------------------
def generator_params(spec: SessionSpec) -> dict[str, Any]:
    """Parameters shared by every session of one generator (dynamics, neuron pools, readouts)."""
    g = spec.generator
    rng = rng_for(g, "params")
    lat = sim.latent_params(spec.family, spec.k, rng)
    pools: dict[str, dict[str, np.ndarray]] = {}
    _, comm_tgt, comm_rank = spec.comm if spec.comm else (None, None, 0)
    for ri, (region, n) in enumerate(spec.regions):
        pool = int(np.ceil(n * 2.5))
        r = rng_for(g, "pool", region)
        private = region == comm_tgt
        k_load = 2 if private else spec.k  # a target area sees the shared latents only via the subspace
        pools[region] = {
            "ids": (ri + 1) * 1000 + np.arange(pool),
            "C": r.normal(0, 0.9 / np.sqrt(spec.k), (pool, k_load)),
            "b": np.log(r.uniform(1.0, 6.0, pool)),
            # arousal gain coupling a_i (rates x exp(a_i * arousal)); v6: N(0.4, 0.15), was N(0.25, 0.15),
            # which left arousal 1.4-7.6 % of the within-block log-rate variance (undetectable by design)
            "arousal": r.normal(0.4, 0.15, pool),
        }
    out: dict[str, Any] = {"latent": lat, "pools": pools}
    r = rng_for(g, "readout")
    D = r.normal(0, 1.0, (2, spec.k))
    out["velocity_readout"] = D / np.linalg.norm(D, axis=1, keepdims=True)
    out["anchor_response"] = sim.anchor_response(lat, spec.latent_fs, 1.0, rng_for(g, "anchor"))
    if spec.comm:
        _, mats = sim.communication_subspace(np.zeros((1, spec.k)), len(pools[comm_tgt]["ids"]), comm_rank,
                                             rng_for(g, "comm"), strength=0.45, lag=2)
        out["comm"] = mats
        out["private_latent"] = sim.latent_params("timescales", 2, rng_for(g, "private"))
    return out


def _choose_units(spec: SessionSpec, region: str, n: int, pool_ids: np.ndarray) -> np.ndarray:
    """Indices into the pool for this day: day 0 = first n; later days replace ``turnover`` of them."""
    if spec.day == 0 or spec.turnover == 0:
        return np.arange(n)
    r = rng_for(spec.generator, "units", region, spec.day)
    n_new = int(round(spec.turnover * n))
    keep = np.sort(r.choice(n, n - n_new, replace=False))
    new = np.sort(r.choice(np.arange(n, pool_ids.size), n_new, replace=False))
    return np.concatenate([keep, new])


def _timeline(spec: SessionSpec, fs: float) -> tuple[list[tuple[float, float, Any]], int]:
    t, out = 0.0, []
    for b in spec.blocks:
        out.append((t, t + b.duration, b))
        t += b.duration
    return out, int(round(t * fs))


def generate_session(spec: SessionSpec) -> dict[str, Any]:
    """Simulate one NWB session. Returns a dict of everything the writer and the truth file need."""
    gp = generator_params(spec)
    fs = spec.latent_fs
    blocks, n = _timeline(spec, fs)
    rng = rng_for(spec.uri, "session")
    k = spec.k
    t = np.arange(n) / fs

    # per-sample state: latent amplitude, arousal level, task drive
    scale = np.ones((n, k))
    level = np.zeros(n)
    inputs = np.zeros((n, k))
    epochs, trials, anchors, rest_true = [], [], [], []
    A, _ = sim.discrete_dynamics(gp["latent"], fs)
    gain_in = 1.0 - np.abs(np.linalg.eigvals(A))  # steady-state response ~ input / (1 - |a|)
    Dp = np.linalg.pinv(gp["velocity_readout"])  # k x 2
    for (t0, t1, b) in blocks:
        i0, i1 = int(round(t0 * fs)), int(round(t1 * fs))
        level[i0:i1] = b.arousal
        if b.scale:
            sc = np.ones(k)
            sc[: min(k, len(b.scale))] = b.scale[:k]
            scale[i0:i1] = sc
        if b.label:
            epochs.append((t0, t1, b.label, b.kind, b.state))
        if b.kind == "rest":
            rest_true.append((t0, t1, b.state))
        if b.kind == "task":
            n_tr = int((t1 - t0) // 2.0)
            for j in range(n_tr):
                ts = t0 + 2.0 * j
                theta = float(rng.uniform(0, 2 * np.pi))
                trials.append((ts, ts + 2.0, theta))
                j0, j1 = int(round((ts + 0.4) * fs)), int(round((ts + 1.6) * fs))
                prof = np.sin(np.linspace(0, np.pi, j1 - j0)) ** 2
                target = Dp @ np.array([np.cos(theta), np.sin(theta)]) * 2.5
                inputs[j0:j1] += prof[:, None] * (target * gain_in)[None, :]
        if b.kind == "anchors" and spec.n_anchor:
            isi = (t1 - t0) / spec.n_anchor
            for j in range(spec.n_anchor):
                anchors.append((t0 + j * isi + 0.25 * isi, t0 + j * isi + 0.25 * isi + 1.0))
    z = sim.simulate_latents(gp["latent"], n, fs, rng=rng, inputs=inputs) * scale
    R = gp["anchor_response"]
    for (a0, _a1) in anchors:
        i0 = int(round(a0 * fs))
        L = min(R.shape[0], n - i0)
        z[i0:i0 + L] += R[:L]

    # arousal = block level + a slow vigilance drift (OU, tau 150 s, SD 0.35; its own random stream) + the
    # 15-s OU: windows of ~100 s inside one rest block differ in mean arousal, as drowsy / alert stretches do
    ar = sim.arousal_traces(n, fs, rng, level=level, drift_sd=AROUSAL_DRIFT_SD, drift_tau=AROUSAL_DRIFT_TAU,
                            drift_rng=rng_for(spec.uri, "arousal-drift"))
    dark = np.zeros(n)
    for (t0, t1, b) in blocks:
        if b.state == "dark":
            dark[int(round(t0 * fs)):int(round(t1 * fs))] = 1.0
    ar["pupil"] = ar["pupil"] + 0.6 * dark  # pupils dilate in the dark, whatever the arousal
    velocity = z @ gp["velocity_readout"].T + rng.normal(0, 0.05, (n, 2))

    # ---- neurons
    regions: dict[str, dict[str, Any]] = {}
    comm_tgt = spec.comm[1] if spec.comm else None
    z_priv = None
    if spec.comm:
        z_priv = sim.simulate_latents(gp["private_latent"], n, fs, rng=rng)
    day_gain = float(np.exp(rng_for(spec.generator, "daygain", spec.day).normal(0, 0.1))) if spec.day else 1.0
    for region, n_units in spec.regions:
        pool = gp["pools"][region]
        idx = _choose_units(spec, region, n_units, pool["ids"])
        C, b, a = pool["C"][idx], pool["b"][idx], pool["arousal"][idx]
        gains = np.ones(idx.size)
        if spec.gain_sd:
            gains = day_gain * np.exp(rng_for(spec.generator, "gains", region, spec.day).normal(0, spec.gain_sd, idx.size))
        if region == comm_tgt:
            # the target area: private latents + the source latents through the rank-r map, 2 samples late
            lag = int(gp["comm"]["lag"])
            drive = np.vstack([np.repeat(z[:1], lag, 0), z[:-lag]]) @ gp["comm"]["B"][:, idx]
            counts = sim.spikes_from_latents(z_priv, C, b, fs, rng, gains=gains, arousal=ar["arousal"],
                                             arousal_coupling=a, extra_drive=drive)
        else:
            counts = sim.spikes_from_latents(z, C, b, fs, rng, gains=gains, arousal=ar["arousal"],
                                             arousal_coupling=a)
        loadings = C
        times = sim.spike_times_from_counts(counts, fs, rng)
        regions[region] = {"ids": pool["ids"][idx], "pool_index": idx, "loadings": loadings, "baseline": b,
                           "gains": gains, "arousal_coupling": a, "counts": counts, "times": times}

    out: dict[str, Any] = {
        "spec": spec, "fs": fs, "n": n, "t": t, "z": z, "z_private": z_priv, "arousal": ar,
        "velocity": velocity, "epochs": epochs, "trials": trials, "anchors": anchors, "rest_true": rest_true,
        "regions": regions, "gp": gp, "scale": scale,
    }
    if spec.modality == "calcium":
        reg = regions[spec.regions[0][0]]
        dff = sim.calcium_from_spikes(reg["counts"], fs, spec.extra.get("indicator", "GCaMP6f"), rng)
        out["dff"] = dff
    if spec.lfp_channels:
        out["lfp"] = _lfp(spec, z, ar, rng)
    return out


def _lfp(spec: SessionSpec, z: np.ndarray, ar: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """LFP (volts, float32): latents mixed into channels + 1/f background (+ theta when running, CA1)."""
    fs_l, fs = spec.lfp_fs, spec.latent_fs
    n_l = int(round(spec.duration * fs_l))
    tl = np.arange(n_l) / fs_l
    tz = np.arange(z.shape[0]) / fs
    zu = np.column_stack([np.interp(tl, tz, z[:, i]) for i in range(z.shape[1])])
    M = rng.normal(0, 1.0, (z.shape[1], spec.lfp_channels))
    x = 40e-6 * (zu @ M) / np.sqrt(z.shape[1]) + 25e-6 * sim.pink_noise(n_l, spec.lfp_channels, fs_l, rng)
    if spec.lab == "elm":
        run = np.interp(tl, tz, ar["running_speed"])
        theta = sim.narrowband(n_l, fs_l, 8.0, 1.0, rng)
        x += 60e-6 * (0.3 + np.tanh(run / 10.0))[:, None] * theta[:, None] * rng.uniform(0.6, 1.0, spec.lfp_channels)
    return x.astype(np.float32)


# --------------------------------------------------------------------------------------------
def generate_human_run(h: HumanSpec, task: str, leadfields: dict[str, np.ndarray], fs: float = 200.0
                       ) -> dict[str, Any]:
    """Sources and sensors of one BIDS run ("rest" or "checkerboard") of a human subject."""
    g = h.generator
    lat = sim.latent_params("timescales", h.k, rng_for(g, "params"))
    mixing = rng_for(g, "mixing").normal(0, 1.0 / np.sqrt(h.k), (h.k, len(SOURCE_NAMES)))
    rng = rng_for(g, task, "run")
    if task == "rest":
        dur = h.rest_open + h.rest_closed
    else:
        dur = h.task
    n = int(round(dur * fs))
    t = np.arange(n) / fs
    ec = np.zeros(n)
    taskmask = np.zeros(n)
    annotations: list[tuple[float, float, str]] = []
    rest_true: list[tuple[float, float, str]] = []
    stim: list[float] = []
    if task == "rest":
        ec[t >= h.rest_open] = 1.0
        annotations = [(0.0, h.rest_open, "eyes open"), (h.rest_open, h.rest_closed, "eyes closed")]
        rest_true = [(0.0, h.rest_open, "eyes open fixation"), (h.rest_open, dur, "eyes closed")]
    else:
        taskmask[:] = 1.0
        isi = dur / h.n_stim
        stim = [round((0.3 * isi + j * isi) * fs) / fs for j in range(h.n_stim)]  # on the sample grid
        annotations = [(s, 0.5, "checkerboard") for s in stim]
    z = sim.simulate_latents(lat, n, fs, rng=rng)
    S, parts = sim.eeg_sources(z, fs, SOURCE_NAMES, rng, eyes_closed=ec, task=taskmask, mixing=mixing)
    if stim:
        tt = np.arange(int(0.5 * fs)) / fs
        vep = 25.0 * (np.sin(2 * np.pi * tt / 0.2) * np.exp(-tt / 0.12))  # P100-like evoked response
        for s in stim:
            i0 = int(round(s * fs))
            L = min(vep.size, n - i0)
            S[i0:i0 + L, 0] += vep[:L]
            S[i0:i0 + L, 1] += vep[:L]
    S_am = S * 5e-9  # x 5 nA·m -> A·m
    noise = {"eeg": 1e-6, "ieeg": 1e-6}
    sensors = {d: sim.project(S_am, leadfields[d], rng, noise[d]) for d in ("eeg", "ieeg")}
    return {"spec": h, "task": task, "fs": fs, "n": n, "t": t, "z": z, "latent": lat, "sources": S_am,
            "mixing": mixing, "sensors": sensors, "annotations": annotations, "rest_true": rest_true,
            "stim": stim, "noise_sd": noise, "eyes_closed": ec}
