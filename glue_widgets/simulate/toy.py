"""Small synthetic sessions (``toy://``) for tests, benchmarks and trying the apps without the demo corpus.

The generator lives here with the others; ``glue_widgets.apps.toy`` builds the dashboards' session
listing from it. They are labelled ``toy://`` everywhere they appear, so nobody mistakes them for the demo corpus or
real data. The arrays are built once per process (immutable, shared read-only); each call wraps them
in a fresh :class:`~glue_widgets.model.ArraySession`, so pages never share a Session object.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..model import ArraySession, make_timeseries

__all__ = ["toy_session", "TOY_URIS"]

TOY_URIS = ("toy://lab-a/m1/day0", "toy://lab-a/m1/day1", "toy://lab-b/r1/s1")


@lru_cache(maxsize=4)
def _arrays(seed: int, n_ch: int, fs: float, duration: float):
    rng = np.random.default_rng(seed)
    n = int(duration * fs)
    t = np.arange(n) / fs
    # a few slow shared rhythms plus noise: looks like LFP, costs nothing to make
    phases = rng.uniform(0, 2 * np.pi, (3, n_ch))
    freqs = np.array([0.3, 4.0, 9.0])
    x = np.zeros((n, n_ch), np.float32)
    for f, ph in zip(freqs, phases):
        x += np.sin(2 * np.pi * f * t[:, None] + ph[None, :]).astype(np.float32)
    noise = rng.standard_normal((n, n_ch)).astype(np.float32) * 0.5
    dark = (t >= 0.2 * duration + 300) & (t < 0.2 * duration + 600)
    noise[dark] *= 2.5  # the "dark" rest state is noisier: two baselines that differ
    x += noise
    spikes = {f"u{i:02d}": np.sort(rng.uniform(0, duration, rng.integers(200, 2000))) for i in range(12)}
    # toy calcium: 4 cells, 30 Hz, spikes convolved with a 0.5-s exponential plus noise
    fc = 30.0
    tc = np.arange(int(duration * fc)) / fc
    kern = np.exp(-np.arange(int(2 * fc)) / (0.5 * fc))
    dff = np.stack([np.convolve(np.histogram(spikes[f"u{i:02d}"], bins=np.r_[tc, tc[-1] + 1 / fc])[0], kern)[: tc.size]
                    * 0.1 + rng.standard_normal(tc.size) * 0.02 for i in range(4)], 1).astype(np.float32)
    x.setflags(write=False)
    dff.setflags(write=False)
    return t, x, spikes, tc, dff


def toy_session(uri: str = TOY_URIS[0], *, n_channels: int = 16, fs: float = 250.0,
                duration: float = 900.0) -> ArraySession:
    """A toy session: LFP-like, spike and calcium streams; epochs task / gray screen / dark / task (900 s).

    Examples
    --------
    >>> s = toy_session()
    >>> sorted(s.streams)
    ['dff', 'lfp', 'units']
    """
    seed = sum(map(ord, uri)) % 1000
    t, x, spikes, tc, dff = _arrays(seed, n_channels, fs, duration)
    lfp = make_timeseries(x, t, channels=[f"ch{i:02d}" for i in range(n_channels)], modality="lfp", fs=fs,
                          units="uV")
    cal = make_timeseries(dff, tc, channels=[f"roi{i}" for i in range(4)], modality="calcium", fs=30.0, units="dF/F")
    r0 = 0.2 * duration
    epochs = pd.DataFrame({"start": [0.0, r0, r0 + 300.0, r0 + 600.0],
                           "stop": [r0, r0 + 300.0, r0 + 600.0, duration],
                           "label": ["task", "spontaneous gray screen", "spontaneous dark", "task"]})
    return ArraySession(uri, signals={"lfp": lfp, "dff": cal}, spikes={"units": spikes}, epochs=epochs,
                        metadata={"lab": uri.split("/")[2], "subject": uri.split("/")[3], "species": "Mus musculus"})

