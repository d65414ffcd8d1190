"""Multi-session corpus from a few latent generators, with days, subjects, labs and an arousal confound.

The error map and the coupling loop are checked on it (``tests/test_errormap.py``, ``tests/test_loop.py``,
``benchmarks/bench_errormap.py``): sessions of one generator should cluster together, and the
arousal confound (how much arousal fluctuates in a session) should be attributed.

Examples
--------
>>> data, truth = simulate_sessions(("slow", "rotation"), subjects=1, days=1, n_neurons=5, duration_s=10.0)
>>> sorted(data), truth["slow/s0/d0"]["generator"]
(['rotation/s0/d0', 'slow/s0/d0'], 'slow')
"""

from __future__ import annotations

import numpy as np

from .latents import discrete_dynamics

__all__ = ["GENERATORS", "simulate_sessions"]

GENERATORS = {
    # name: (kind, parameters); dt-independent descriptions of k=4 latent dynamics
    "slow": ("timescales", (3.0, 1.5, 0.8, 0.4)),
    "fast": ("timescales", (0.4, 0.25, 0.12, 0.06)),
    "rotation": ("rotational", (2.0, 0.6, 1.5, 0.5)),  # f (Hz), damping tau (s), two slow taus
}


def _latent_matrix(kind: str, params: tuple, dt: float) -> np.ndarray:
    """The discrete-time latent dynamics of a generator (``latents.discrete_dynamics``)."""
    if kind == "timescales":
        taus = np.asarray(params, float)
        return discrete_dynamics({"k": len(taus), "taus": taus, "rotation_hz": np.zeros(len(taus)), "plane": None},
                                 dt=dt)[0]
    f, tau, s1, s2 = params
    return discrete_dynamics({"k": 4, "taus": [tau, tau, s1, s2], "rotation_hz": [f, f, 0.0, 0.0], "plane": (0, 1)},
                             dt=dt)[0]


def simulate_sessions(generators: tuple[str, ...] = ("slow", "fast", "rotation"), subjects: int = 2,
                      days: int = 3, n_neurons: int = 50, duration_s: float = 240.0, fs: float = 20.0,
                      arousal_coupling: float = 0.2, turnover: float = 0.3, seed: int | None = 0):
    """Sessions from a few latent generators, with days, subjects, labs and an arousal confound.

    Each generator is a 4-d linear latent system (see ``GENERATORS``); a session's activity is
    ``softplus(C z + b) * exp(arousal_coupling * a(t)) + noise`` where ``a(t)`` is a slow arousal
    covariate whose amplitude differs from session to session (the planted confound: the more arousal
    fluctuates, the more it distorts the population dynamics). Days of one subject keep most of the
    readout ``C`` (a ``turnover`` fraction of neurons is redrawn each day) and change gains.

    Returns
    -------
    data : dict name -> DataArray (time, channel) with attrs lab, species, subject, session, day,
        apparatus and ``card`` {"arousal": {"pupil_sd": ...}}
    truth : dict name -> {"generator": str, "arousal_sd": float}   (for evaluation only)
    """
    import xarray as xr

    rng = np.random.default_rng(seed)
    dt = 1.0 / fs
    n = int(duration_s * fs)
    labs = ["arbor", "birch", "cedar"]
    data, truth = {}, {}
    for gi, g in enumerate(generators):
        kind, params = GENERATORS[g]
        A = _latent_matrix(kind, params, dt)
        Q = np.eye(4) - A @ A.T  # unit stationary variance in every latent
        Lq = np.linalg.cholesky(Q + 1e-12 * np.eye(4))
        for s in range(subjects):
            C = rng.standard_normal((n_neurons, 4)) * 0.8
            b = rng.normal(0.5, 0.3, n_neurons)
            species = "Mus musculus" if (gi + s) % 3 else "Rattus norvegicus"
            lab = labs[(gi + s) % len(labs)]
            apparatus = ["2p-resonant", "neuropixels"][(gi + 2 * s) % 2]
            for d in range(days):
                if d:
                    redraw = rng.random(n_neurons) < turnover
                    C[redraw] = rng.standard_normal((redraw.sum(), 4)) * 0.8
                gains = np.exp(rng.normal(0, 0.2, n_neurons))
                e = rng.standard_normal((n, 4)) @ Lq.T
                z = np.zeros((n, 4))
                z[0] = rng.standard_normal(4)
                for t in range(1, n):
                    z[t] = A @ z[t - 1] + e[t]
                arousal_sd = float(rng.uniform(0.05, 1.0))
                a = np.zeros(n)
                ra = np.exp(-dt / 8.0)
                ea = rng.standard_normal(n) * np.sqrt(1 - ra**2)
                for t in range(1, n):
                    a[t] = ra * a[t - 1] + ea[t]
                a *= arousal_sd
                drive = z @ C.T + b
                rate = np.log1p(np.exp(drive)) * gains * np.exp(arousal_coupling * a)[:, None]
                x = rate + 0.5 * rng.standard_normal(rate.shape)
                name = f"{g}/s{s}/d{d}"
                pupil = 1.0 + a + 0.05 * rng.standard_normal(n)  # the observed arousal covariate
                data[name] = xr.DataArray(
                    x, dims=("time", "channel"),
                    coords={"time": np.arange(n) / fs, "channel": [f"n{i}" for i in range(n_neurons)]},
                    attrs={"modality": "spikes", "fs": fs, "lab": lab, "species": species,
                           "subject": f"{g}-s{s}", "session": name, "day": d, "apparatus": apparatus,
                           "card": {"arousal": {"available": ["pupil"], "pupil_sd": float(pupil.std())}}})
                truth[name] = {"generator": g, "arousal_sd": arousal_sd}
    return data, truth
