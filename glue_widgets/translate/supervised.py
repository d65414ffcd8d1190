"""Supervised spike inference: a small network trained on calcium + electrophysiology ground truth.

The CASCADE idea (Rupprecht et al. 2021) on a CPU budget, made unit-free: every trace is resampled to
one common rate, its slow baseline removed and divided by its own noise σ
(:mod:`~glue_widgets.translate.spike_features`), so ΔF/F fractions, percentages, raw fluorescence and
z-scored traces look alike. A multi-resolution window around each frame (single frames near it, block
means further out), the log frame rate and the trace's decay time feed a small multilayer perceptron
that predicts the (Gaussian-smoothed) spike count of that frame. Training copies of every ground-truth
segment are augmented: time-stretched (indicator kinetics), degraded with added noise, and resampled to
lower frame rates (down to ``min_fs``), so one model serves 2.5–500 Hz imaging. Weights are plain
numpy arrays in an ``.npz`` (no pickle); the forward pass is numpy.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.base import BaseEstimator

from ..errors import CorruptFileError, InvalidInputError
from .groundtruth import GTSegment
from .spike_features import (N_FEATURES, PAD, decay_time, fill_gaps, multires_features, prepare_trace,
                             resample_trace, robust_sigma)

__all__ = ["SpikeModel", "resample_trace", "DEFAULT_MODEL_PATH"]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "models" / "spike_model.npz"


def _flush(w: np.ndarray) -> np.ndarray:
    w = np.array(w, dtype=np.float32)
    w[np.abs(w) < np.finfo(np.float32).tiny] = 0.0
    return w


def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if hi > lo else float(lo)


class SpikeModel(BaseEstimator):
    """Unit-free, frame-rate-augmented windowed MLP from a calcium trace to spikes per frame.

    Parameters
    ----------
    rate : float
        Common rate (Hz) traces are resampled to (up or down).
    hidden : tuple of int
        MLP hidden layer sizes.
    sigma : float
        Gaussian smoothing (frames at ``rate``) of the training target.
    noise_levels : sequence of float
        Noise multipliers: each augmented copy gets white noise added so that its σ is this many times
        the native σ (1 = native).
    stretch : (low, high)
        Time-stretch factors (log-uniform) of the augmented copies: slower/faster indicator kinetics.
    min_fs : float
        Augmented copies are resampled to a frame rate drawn log-uniformly between ``min_fs`` and
        their own rate (half of the copies).
    n_copies : int
        Augmented copies per segment.
    n_train : int
        Training rows drawn per dataset (equal weight per dataset).
    max_iter, alpha, random_state : see :class:`sklearn.neural_network.MLPRegressor`.

    Examples
    --------
    >>> m = SpikeModel.load()                      # the shipped model  # doctest: +SKIP
    >>> s = m.predict_trace(dff, fs=30.0)          # expected spikes per frame  # doctest: +SKIP
    """

    def __init__(self, rate: float = 30.0, hidden: Sequence[int] = (32, 16), sigma: float = 1.0,
                 noise_levels: Sequence[float] = (1.0, 1.5, 2.5, 4.0), stretch: tuple[float, float] = (0.6, 1.6),
                 min_fs: float = 2.5, n_copies: int = 4, n_train: int = 15_000, max_iter: int = 20,
                 alpha: float = 1e-4, random_state: int = 0):
        self.rate = rate
        self.hidden = hidden
        self.sigma = sigma
        self.noise_levels = noise_levels
        self.stretch = stretch
        self.min_fs = min_fs
        self.n_copies = n_copies
        self.n_train = n_train
        self.max_iter = max_iter
        self.alpha = alpha
        self.random_state = random_state

    # ----------------------------------------------------------------- features
    @property
    def window(self) -> int:
        """Frames (at ``rate``) one prediction looks at."""
        return 2 * PAD + 1

    def features(self, y: np.ndarray, fs: float) -> tuple[np.ndarray, dict]:
        """Feature rows of a finite trace (any units) and what was measured (σ, decay time)."""
        p = prepare_trace(y, fs, self.rate)
        tau = decay_time(p.z, self.rate)
        return multires_features(p.z, fs, tau), dict(sigma=p.sigma, decay_s=tau, n_rate=p.z.size)

    def segment_rows(self, seg: GTSegment, rng, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Augmented training rows of one segment: ``n_copies`` copies, about ``n_rows`` rows in all."""
        Xs, ys = [], []
        y0, ok0 = fill_gaps(seg.dff.astype(float))
        if not ok0.any():
            return np.empty((0, N_FEATURES), np.float32), np.empty(0)
        sig0 = robust_sigma(y0)
        for c in range(self.n_copies):
            k = _log_uniform(rng, *self.stretch) if c else 1.0      # the first copy is the native trace
            fs = seg.fs / k
            y, ok = y0, ok0
            lvl = float(rng.choice(self.noise_levels)) if c else 1.0
            if lvl > 1 and np.isfinite(sig0):
                y = y + sig0 * np.sqrt(lvl**2 - 1) * rng.standard_normal(y.size)
            if c and rng.random() < 0.5 and fs > self.min_fs * 1.2:
                fs_new = _log_uniform(rng, self.min_fs, fs)
                y = resample_trace(y, fs, fs_new)
                ok = resample_trace(ok.astype(float), fs, fs_new) > 0.999
                fs = fs_new
            if y.size < 20:
                continue
            X, info = self.features(y, fs)
            okr = resample_trace(ok.astype(float), fs, self.rate) > 0.999
            edges = (np.arange(info["n_rate"] + 1) - 0.5) / self.rate + seg.t[0] * k
            counts = np.histogram(seg.spikes * k, bins=edges)[0].astype(float)
            target = gaussian_filter1d(counts, self.sigma, mode="constant") if self.sigma > 0 else counts
            idx = np.flatnonzero(okr)
            keep = min(1.0, n_rows / self.n_copies / max(idx.size, 1))
            idx = idx[rng.random(idx.size) < keep]
            Xs.append(X[idx])
            ys.append(target[idx])
        if not Xs:
            return np.empty((0, N_FEATURES), np.float32), np.empty(0)
        return np.vstack(Xs), np.concatenate(ys)

    def dataset_rows(self, segments: Sequence[GTSegment], seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``n_train`` augmented rows of one dataset (segments weighted by duration)."""
        rng = np.random.default_rng(seed)
        dur = np.array([s.dff.size / s.fs for s in segments])
        Xd, yd = [], []
        for s, d in zip(segments, dur):
            X, y = self.segment_rows(s, rng, int(np.ceil(1.5 * self.n_train * d / dur.sum())) + 10)
            Xd.append(X)
            yd.append(y)
        X, y = np.vstack(Xd), np.concatenate(yd)
        pick = rng.choice(len(y), size=min(self.n_train, len(y)), replace=False)
        return X[pick], y[pick]

    # ----------------------------------------------------------------- training
    def fit(self, segments: Iterable[GTSegment], rows: dict | None = None) -> "SpikeModel":
        """Train on ground-truth segments (equal number of rows per dataset).

        ``rows`` may hold precomputed ``{dataset: (X, y)}`` from :meth:`dataset_rows` (leave-one-out
        benchmarks build them once).
        """
        by_ds: dict[str, list[GTSegment]] = {}
        for s in segments:
            by_ds.setdefault(s.dataset, []).append(s)
        if not by_ds:
            raise InvalidInputError("no ground-truth segments to train on; pass GTSegment objects "
                                    "(glue_widgets.translate.groundtruth.load_cascade_gt).")
        rows = dict(rows or {})
        for i, ds in enumerate(sorted(by_ds)):
            if ds not in rows:
                rows[ds] = self.dataset_rows(by_ds[ds], seed=self.random_state * 1000 + i)
        X = np.vstack([rows[ds][0] for ds in sorted(by_ds)]).astype(np.float64)
        y = np.concatenate([rows[ds][1] for ds in sorted(by_ds)])
        from sklearn.neural_network import MLPRegressor

        self.mean_ = X.mean(0)
        self.scale_ = X.std(0) + 1e-6
        mlp = MLPRegressor(hidden_layer_sizes=tuple(self.hidden), alpha=self.alpha, batch_size=256,
                           learning_rate_init=1e-3, max_iter=self.max_iter, random_state=self.random_state,
                           early_stopping=False, tol=1e-6, n_iter_no_change=self.max_iter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is expected
            mlp.fit((X - self.mean_) / self.scale_, y)
        self.coefs_ = [c.astype(np.float32) for c in mlp.coefs_]
        self.intercepts_ = [b.astype(np.float32) for b in mlp.intercepts_]
        self.n_samples_ = int(len(y))
        self.datasets_ = sorted(by_ds)
        self._fold_norm()
        return self

    def _fold_norm(self) -> None:
        # fold the input standardisation into the first layer: one matmul less per frame
        W0 = self.coefs_[0].astype(np.float64) / self.scale_[:, None]
        self._W0 = _flush(W0.astype(np.float32))
        self._b0 = (self.intercepts_[0] - self.mean_ @ W0).astype(np.float32)
        # subnormal float32 weights (weight decay drives some towards 0) make BLAS ~3x slower
        self._W0T = np.ascontiguousarray(self._W0.T)
        self._WsT = [np.ascontiguousarray(_flush(w).T) for w in self.coefs_[1:]]

    # ----------------------------------------------------------------- inference
    def _forward(self, X: np.ndarray) -> np.ndarray:
        # feature-major products (W.T @ X.T: long contiguous rows) and in-place adds: a fresh array per
        # bias add costs more than the product itself
        h = self._W0T @ np.ascontiguousarray(X.T)
        h += self._b0[:, None]
        for W, b in zip(self._WsT, self.intercepts_[1:]):
            np.maximum(h, 0, out=h)
            h = W @ h
            h += b[:, None]
        return np.maximum(h[0], 0).astype(np.float64)

    def predict_trace(self, y: np.ndarray, fs: float, info: dict | None = None) -> np.ndarray:
        """Expected spikes per frame of a finite 1-D trace (any units) sampled at ``fs``.

        ``info``, if a dict, receives what was measured (noise σ in input units, decay time in s).
        """
        X, inf = self.features(np.asarray(y, float), fs)
        if info is not None:
            info.update(inf)
        pr = self._forward(X)  # spikes per model frame
        if abs(fs - self.rate) / self.rate < 1e-3 and pr.size == y.size:
            return pr
        # back to the input frames: spikes per frame = rate density × frame duration
        t = np.arange(y.size) / fs
        tr = np.arange(pr.size) / self.rate
        return np.interp(t, tr, pr) * (self.rate / fs)

    # ----------------------------------------------------------------- I/O
    def save(self, path: str | Path, **extra: np.ndarray) -> Path:
        """Write the model as a plain ``.npz`` (no pickle); ``extra`` arrays are stored beside it."""
        path = Path(path)
        arrays = {f"W{i}": w for i, w in enumerate(self.coefs_)}
        arrays.update({f"b{i}": b for i, b in enumerate(self.intercepts_)})
        arrays.update({f"extra_{k}": np.asarray(v) for k, v in extra.items()})
        np.savez_compressed(
            path, mean=self.mean_, scale=self.scale_, rate=self.rate, sigma=self.sigma,
            noise_levels=np.asarray(self.noise_levels, float), stretch=np.asarray(self.stretch, float),
            min_fs=self.min_fs, n_layers=len(self.coefs_), n_features=N_FEATURES,
            datasets=np.asarray(self.datasets_), n_samples=self.n_samples_, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SpikeModel":
        """Load a model written by :meth:`save` (default: the one shipped with the package)."""
        path = Path(path) if path is not None else DEFAULT_MODEL_PATH
        try:
            z = np.load(path, allow_pickle=False)
            n = int(z["n_layers"])
            if int(z["n_features"]) != N_FEATURES:
                raise ValueError(f"built for {int(z['n_features'])} features, this version uses {N_FEATURES}")
            m = cls(rate=float(z["rate"]), sigma=float(z["sigma"]), noise_levels=tuple(z["noise_levels"].tolist()),
                    stretch=tuple(z["stretch"].tolist()), min_fs=float(z["min_fs"]))
            m.coefs_ = [z[f"W{i}"] for i in range(n)]
            m.intercepts_ = [z[f"b{i}"] for i in range(n)]
            m.hidden = tuple(w.shape[1] for w in m.coefs_[:-1])
            m.mean_, m.scale_ = z["mean"], z["scale"]
            m.datasets_ = [str(d) for d in z["datasets"]]
            m.n_samples_ = int(z["n_samples"])
            m.extra_ = {k[6:]: z[k] for k in z.files if k.startswith("extra_")}
            m._fold_norm()
        except FileNotFoundError as exc:
            raise CorruptFileError(
                f"spike model {str(path)!r} not found; rebuild it with scripts/train_spike_model.py.") from exc
        except (KeyError, ValueError, OSError) as exc:
            raise CorruptFileError(f"spike model {str(path)!r} is not a valid model file: {exc}; rebuild it "
                                   "with scripts/train_spike_model.py.") from exc
        return m
