"""Supervised spike inference: a small noise-conditioned network trained on calcium + ephys ground truth.

The CASCADE idea (Rupprecht et al. 2021) on a CPU budget: every trace is resampled to one common
rate, a window of ΔF/F samples around each frame (plus the trace's noise level ν) is fed to a small
multilayer perceptron that predicts the (Gaussian-smoothed) spike count of that frame. Training
traces are degraded with added noise to a range of noise levels so one model serves clean and noisy
data; the noise level is an input, so the network is conditioned on it. Weights are plain numpy
arrays in an ``.npz`` (no pickle), and the forward pass is numpy (≈ 10⁵ frames/s per core).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy.ndimage import gaussian_filter1d, uniform_filter1d

from ..errors import CorruptFileError, InvalidInputError
from .groundtruth import GTSegment, noise_level

__all__ = ["SpikeModel", "resample_trace", "DEFAULT_MODEL_PATH"]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "models" / "spike_model.npz"
_WHITE = 0.6745 * np.sqrt(2.0) * 100.0  # ν of white noise with σ = 1 (fraction) at fs = 1: median|Δ| = 0.954 σ


def resample_trace(y: np.ndarray, fs: float, rate: float) -> np.ndarray:
    """Resample a finite 1-D trace from ``fs`` to ``rate`` on the grid ``k / rate`` (same start).

    Downsampling first averages over one target frame (anti-aliasing), then interpolates linearly.
    """
    n = y.size
    t = np.arange(n) / fs
    m = int(np.floor((n - 1) / fs * rate)) + 1
    tn = np.arange(m) / rate
    if fs > rate * 1.05:
        w = max(int(round(fs / rate)), 1)
        y = uniform_filter1d(y, size=w, mode="nearest")
    return np.interp(tn, t, y)


def _windows(y: np.ndarray, pre: int, post: int) -> np.ndarray:
    yp = np.pad(y, (pre, post), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(yp, pre + post + 1)


def _add_noise(y: np.ndarray, fs: float, nu_now: float, nu_target: float, rng) -> np.ndarray:
    if not np.isfinite(nu_now) or nu_target <= nu_now:
        return y
    sigma = np.sqrt(nu_target**2 - nu_now**2) * np.sqrt(fs) / _WHITE
    return y + sigma * rng.standard_normal(y.size)


def _fill_gaps(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(y)
    if ok.all():
        return y, ok
    idx = np.arange(y.size)
    return np.interp(idx, idx[ok], y[ok]), ok


class SpikeModel:
    """Noise-conditioned windowed MLP from ΔF/F to spikes per frame.

    Parameters
    ----------
    rate : float
        Common rate (Hz) traces are resampled to. Inputs must be sampled at least this fast.
    pre, post : int
        Window: frames (at ``rate``) before and after the predicted frame.
    hidden : tuple of int
        MLP hidden layer sizes.
    sigma : float
        Gaussian smoothing (frames at ``rate``) of the training target.
    noise_levels : sequence of float
        Noise levels ν each training trace is degraded to (plus its native level).
    n_train : int
        Training windows drawn per dataset (equal weight per dataset).
    stretch, gain : (low, high)
        Augmentation: each degraded copy of a training trace is time-stretched by a factor drawn
        log-uniformly from ``stretch`` (faster/slower indicator kinetics) and its ΔF/F scaled by a
        factor from ``gain`` (brighter/dimmer indicator), so the model generalizes across indicators.
    max_iter, random_state : see :class:`sklearn.neural_network.MLPRegressor`.

    Examples
    --------
    >>> m = SpikeModel.load()                      # the shipped model  # doctest: +SKIP
    >>> s = m.predict_trace(dff, fs=30.0)          # expected spikes per frame  # doctest: +SKIP
    """

    def __init__(self, rate: float = 30.0, pre: int = 10, post: int = 30, hidden: Sequence[int] = (64, 32),
                 sigma: float = 1.0, noise_levels: Sequence[float] = (1.0, 2.0, 4.0, 8.0),
                 n_train: int = 40_000, max_iter: int = 40, stretch: tuple[float, float] = (1.0, 1.0),
                 gain: tuple[float, float] = (1.0, 1.0), random_state: int = 0):
        self.rate = rate
        self.pre = pre
        self.post = post
        self.hidden = hidden
        self.sigma = sigma
        self.noise_levels = noise_levels
        self.n_train = n_train
        self.max_iter = max_iter
        self.stretch = stretch
        self.gain = gain
        self.random_state = random_state

    # ----------------------------------------------------------------- features
    @property
    def window(self) -> int:
        """Frames (at ``rate``) one prediction looks at."""
        return self.pre + self.post + 1

    def _features(self, y_rate: np.ndarray, nu: float) -> np.ndarray:
        w = _windows(y_rate, self.pre, self.post)
        # log noise level as the conditioning input; the window itself in ΔF/F (amplitude carries counts)
        return np.hstack([w, np.full((w.shape[0], 1), np.log(max(nu, 1e-3)))])

    def _segment_rows(self, seg: GTSegment, nu_target: float | None, rng, keep: float
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Training rows of one segment degraded to ``nu_target``; a random fraction ``keep`` of frames."""
        k = float(np.exp(rng.uniform(*np.log(self.stretch))))   # time stretch: fs_eff = fs / k
        a = float(np.exp(rng.uniform(*np.log(self.gain))))
        fs = seg.fs / k
        y, ok = _fill_gaps(seg.dff.astype(float) * a)
        nu0 = noise_level(y, fs)
        if nu_target is not None:
            y = _add_noise(y, fs, nu0, nu_target, rng)
        nu = noise_level(y, fs)
        yr = resample_trace(y, fs, self.rate)
        okr = resample_trace(ok.astype(float), fs, self.rate) > 0.999
        edges = (np.arange(yr.size + 1) - 0.5) / self.rate + seg.t[0] * k
        counts = np.histogram(seg.spikes * k, bins=edges)[0].astype(float)
        target = gaussian_filter1d(counts, self.sigma, mode="constant") if self.sigma > 0 else counts
        # drop frames whose window leaves the recording or touches a gap
        valid = okr.copy()
        valid[: self.pre] = False
        valid[yr.size - self.post:] = False
        idx = np.flatnonzero(valid)
        idx = idx[rng.random(idx.size) < keep]
        W = yr[idx[:, None] + np.arange(-self.pre, self.post + 1)]
        X = np.hstack([W, np.full((idx.size, 1), np.log(max(nu, 1e-3)))])
        return X, target[idx]

    # ----------------------------------------------------------------- training
    def fit(self, segments: Iterable[GTSegment]) -> "SpikeModel":
        """Train on ground-truth segments (equal number of windows per dataset)."""
        from sklearn.neural_network import MLPRegressor

        rng = np.random.default_rng(self.random_state)
        by_ds: dict[str, list[GTSegment]] = {}
        for s in segments:
            by_ds.setdefault(s.dataset, []).append(s)
        if not by_ds:
            raise InvalidInputError("no ground-truth segments to train on.")
        Xs, ys = [], []
        levels = (None, *self.noise_levels)
        for ds, segs in by_ds.items():
            n_frames = sum(s.dff.size / s.fs * self.rate for s in segs) * len(levels)
            keep = min(1.0, 1.2 * self.n_train / max(n_frames, 1.0))
            Xd, yd = [], []
            for s in segs:
                for lvl in levels:
                    X, y = self._segment_rows(s, lvl, rng, keep)
                    Xd.append(X)
                    yd.append(y)
            Xd, yd = np.vstack(Xd), np.concatenate(yd)
            pick = rng.choice(len(yd), size=min(self.n_train, len(yd)), replace=False)
            Xs.append(Xd[pick])
            ys.append(yd[pick])
        X, y = np.vstack(Xs), np.concatenate(ys)
        self.mean_ = X.mean(0)
        self.scale_ = X.std(0) + 1e-9
        # one scale for the whole ΔF/F window keeps the shape of the transient
        self.scale_[:-1] = self.scale_[:-1].mean()
        self.mean_[:-1] = self.mean_[:-1].mean()
        mlp = MLPRegressor(hidden_layer_sizes=tuple(self.hidden), alpha=1e-4, batch_size=256,
                           learning_rate_init=1e-3, max_iter=self.max_iter, random_state=self.random_state,
                           early_stopping=False, tol=1e-6, n_iter_no_change=self.max_iter)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is expected
            mlp.fit((X - self.mean_) / self.scale_, y)
        self.coefs_ = [c.astype(np.float32) for c in mlp.coefs_]
        self.intercepts_ = [b.astype(np.float32) for b in mlp.intercepts_]
        self.n_samples_ = int(len(y))
        self.datasets_ = sorted(by_ds)
        return self

    # ----------------------------------------------------------------- inference
    def _forward(self, X: np.ndarray) -> np.ndarray:
        h = ((X - self.mean_) / self.scale_).astype(np.float32)
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            h = h @ W + b
            if i < len(self.coefs_) - 1:
                np.maximum(h, 0, out=h)
        return np.maximum(h[:, 0], 0).astype(np.float64)

    def predict_trace(self, y: np.ndarray, fs: float, nu: float | None = None) -> np.ndarray:
        """Expected spikes per frame of a finite 1-D trace sampled at ``fs`` (≥ the model rate)."""
        if nu is None:
            nu = noise_level(y, fs)
        yr = resample_trace(y, fs, self.rate)
        pr = self._forward(self._features(yr, nu))  # spikes per model frame
        if abs(fs - self.rate) / self.rate < 1e-3 and pr.size == y.size:
            return pr
        # back to the input frames: spikes per frame = rate density × frame duration
        t = np.arange(y.size) / fs
        tr = np.arange(pr.size) / self.rate
        return np.interp(t, tr, pr) * (self.rate / fs)

    # ----------------------------------------------------------------- I/O
    def save(self, path: str | Path) -> Path:
        """Write the model as a plain ``.npz`` (no pickle)."""
        path = Path(path)
        arrays = {f"W{i}": w for i, w in enumerate(self.coefs_)}
        arrays.update({f"b{i}": b for i, b in enumerate(self.intercepts_)})
        np.savez_compressed(
            path, mean=self.mean_, scale=self.scale_, rate=self.rate, pre=self.pre, post=self.post,
            sigma=self.sigma, noise_levels=np.asarray(self.noise_levels, float), n_layers=len(self.coefs_),
            datasets=np.asarray(self.datasets_), n_samples=self.n_samples_, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SpikeModel":
        """Load a model written by :meth:`save` (default: the one shipped with the package)."""
        path = Path(path) if path is not None else DEFAULT_MODEL_PATH
        try:
            z = np.load(path, allow_pickle=False)
            n = int(z["n_layers"])
            m = cls(rate=float(z["rate"]), pre=int(z["pre"]), post=int(z["post"]), sigma=float(z["sigma"]),
                    noise_levels=tuple(z["noise_levels"].tolist()))
            m.coefs_ = [z[f"W{i}"] for i in range(n)]
            m.intercepts_ = [z[f"b{i}"] for i in range(n)]
            m.hidden = tuple(w.shape[1] for w in m.coefs_[:-1])
            m.mean_, m.scale_ = z["mean"], z["scale"]
            m.datasets_ = [str(d) for d in z["datasets"]]
            m.n_samples_ = int(z["n_samples"])
        except FileNotFoundError as exc:
            raise CorruptFileError(
                f"spike model {str(path)!r} not found; rebuild it with scripts/train_spike_model.py.") from exc
        except (KeyError, ValueError, OSError) as exc:
            raise CorruptFileError(f"spike model {str(path)!r} is not a valid model file: {exc}") from exc
        return m
