"""RestAligner: a shared latent frame from rest segments, with anchor events where rest leaves it open.

The estimator composes one mechanism per file: per-session reduction (:mod:`.base`), rest statistics
and their orthogonal matching (:mod:`.rest_frame`, :mod:`.orthogonal`), what anchors fix and which map
to trust (:mod:`.anchors`), the transfer forecast (:mod:`.forecast`) and measured covariates
(:mod:`.covariates`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel, check_positive_int
from . import covariates as cov
from . import anchors as _anchors
from .anchors import anchor_folds, choose_map, fold_errors, parse_anchors
from .candidates import FA_MAPS, PCA_MAPS, candidate_maps, pca_to_frame
from .base import SessionReducer, check_session_index, check_session_list, wrap_latents
from .forecast import axes_not_predicted, axis_report, forecast_transfer, rest_only_note
from .identifiability import Identifiability
from .rest_frame import GAP_THRESHOLD, rest_frames

__all__ = ["RestAligner"]

PCA_CANDIDATES = True  # also score the other reduction's anchor maps (tuning half: benchmarks/tune_align_candidates.py)
REST_VS_ORTHOGONAL = 1.5  # rest frame kept alone (weak anchors) only if its held-out error is within this of the orthogonal map


class RestAligner(TransformerMixin, BaseEstimator):
    """Align sessions into one latent frame from their rest segments, plus anchor events if given.

    Each session is z-scored and reduced (PCA or factor analysis, see ``reduction``) to ``n_components`` whitened
    latents. Their lagged covariances at rest fix each session's frame up to what second-order
    statistics cannot see: the sign of every axis and the angle of rotation planes with isotropic
    noise (reported in ``identifiability_``). Anchor events (the same short events in every session,
    time-matched) then settle the rest. Seven maps are candidates for every session — the rest frame
    with signs and free blocks set by the anchors (``"rest"``), an orthogonal map of the anchor
    responses (``"orthogonal"``), CCA on them (``"cca"``) and a noise-corrected linear map plus offset
    (``"affine"``), and the same three anchor maps on the other reduction of every session
    (``"fa-orthogonal"``, ``"fa-cca"``, ``"fa-affine"``, or ``"pca-..."`` with ``reduction="fa"``;
    :mod:`.candidates`). Each is scored on
    held-out anchor events (leave one block of events out); those
    within twice the best held-out error are averaged. When the held-out events predict fewer than
    ``k - 1`` of the reference's latents (e.g. one repeated stimulus that drives one direction) and the
    rest frame holds up against the orthogonal map, the rest frame is kept alone: a map from anchors
    would guess the undriven directions. ``report_`` and ``summary()`` say which maps were kept and why,
    what rest fixed, what the anchors fixed, and which directions neither fixed.
    ``forecast_`` estimates, from the held-out anchor events alone, how much of a frozen decoder's
    within-session R² will transfer to each session.

    Parameters
    ----------
    n_components : int
        Dimension ``k`` of the shared frame.
    anchor_map : {"auto", "rest", "orthogonal", "cca", "affine"}
        Which map to trust when anchors are given. "auto" (default) chooses per session by
        leave-one-event-out validation (see above); the others force one.
    anchor_baseline : int
        Leading samples of every anchor event that precede it (default 0). Their mean is subtracted per
        event and channel and they are dropped, so an anchor is an evoked deviation (a different
        arousal level during the anchor block cancels). 0: anchors are taken relative to the rest mean.
    reduction : {"auto", "pca", "fa"}
        The reduction that defines the frame: z-score + PCA, or factor analysis (private noise such as
        Poisson variability goes to per-channel noise). With anchors, the other reduction's maps are
        candidates too. "auto" (default): PCA when anchors are given, factor analysis when they are not
        or when they predict too few latents (the rest statistics then carry the frame, and they need
        factor analysis). Chosen on the tuning half of the scenario suite
        (``benchmarks/tune_align_candidates.py``): a PCA frame with both reductions' candidates kept up
        with the best naive baseline in more families than a factor-analysis frame.
    reference : int or "group"
        Session that defines the frame, or "group" (rest statistics matched to the group average).
    lags : sequence of int, optional
        Lags (samples) of the rest statistics; default powers of two up to 64 samples (fewer for short
        segments). They should reach the slowest timescales.
    input_transform : {None, "sqrt"}
        ``"sqrt"`` stabilises the variance of spike counts before reduction (applied to every input).
    covariate_lags : sequence of int
        Sample offsets at which measured covariates (``fit(..., covariates=...)``) are regressed out
        (default ``(0,)``; a positive lag uses the covariate that many samples earlier).

    Attributes
    ----------
    transforms_ : list of (k, k) arrays
        Per session, the map from its whitened latents to the frame (``offsets_`` the added offset).
    map_ : list of str
        Per session, the maps kept ("reference", "rest only", or candidates joined by "+", e.g.
        "rest+orthogonal+cca+fa-affine": those averaged).
    forecast_ : ndarray (n_sessions,)
        Estimated fraction of a frozen decoder's within-session R² that transfers (1 for the reference;
        NaN when there were too few anchor samples to validate, e.g. rest only).
    report_ : pandas.DataFrame
        Per session: the map kept, why, the held-out anchor error of every candidate, the forecast and
        a plain-words summary of what rest fixed and what the anchors fixed (``summary`` column).
    reduction_ : str
        The reduction that defined the frame ("pca" or "fa").
    identifiability_ : Identifiability
        What the rest statistics fix (blocks, signs) and the per-session notes.
    covariate_r2_ : ndarray or None
        Per session, the fraction of rest variance the covariate regression removed.

    Examples
    --------
    >>> from glue_widgets.simulate.alignment_scenarios import alignment_scenario
    >>> days = alignment_scenario("timescales", seed=1, n_days=2, rest_min=2.0)
    >>> al = RestAligner(n_components=3).fit([d.rest for d in days], anchors=[d.anchors for d in days])
    >>> al.transform(days[1].task, session=1).shape
    (720, 3)
    >>> al.map_[0], set(al.map_[1].split("+")) <= {"rest", "orthogonal", "cca", "affine", "fa-orthogonal",
    ...                                             "fa-cca", "fa-affine"}
    ('reference', True)
    """

    def __init__(self, n_components: int = 4, *, anchor_map: str = "auto", anchor_baseline: int = 0,
                 reduction: str = "auto", reference: int | str = 0, lags: Sequence[int] | None = None,
                 input_transform: str | None = None, covariate_lags: Sequence[int] = (0,)) -> None:
        self.n_components = n_components
        self.anchor_map = anchor_map
        self.anchor_baseline = anchor_baseline
        self.reduction = reduction
        self.reference = reference
        self.lags = lags
        self.input_transform = input_transform
        self.covariate_lags = covariate_lags

    # ------------------------------------------------------------------ fitting
    def fit(self, rest_list: Sequence[Any], anchors: Sequence[Any] | None = None,
            covariates: Sequence[Any] | None = None) -> "RestAligner":
        """Fit on one rest segment per session, optionally with time-matched anchor events.

        Parameters
        ----------
        rest_list : list of (time, channels) arrays or DataArrays
            One rest segment per session (no channel correspondence needed).
        anchors : list, optional
            One array per session, time-matched across sessions: ``(events, time, channels)`` or the
            events concatenated as ``(time, channels)`` (both give the same frame).
        covariates : list, optional
            One ``(time, q)`` array per session, sample-aligned with its rest segment (pupil, running).

        Returns
        -------
        RestAligner
        """
        k = check_positive_int(self.n_components, name="n_components")
        if self.anchor_map not in ("auto",) + FA_MAPS + PCA_MAPS:
            raise InvalidInputError(f"anchor_map={self.anchor_map!r}; use 'auto' or one of {FA_MAPS + PCA_MAPS}.")
        xs = [self._pre(x, f"rest_list[{i}]") for i, x in enumerate(check_session_list(rest_list, name="rest_list"))]
        n = len(xs)
        if isinstance(self.reference, str):
            if self.reference != "group":
                raise InvalidInputError(f"reference={self.reference!r}; use a session index or 'group'.")
            ref = 0
        else:
            ref = check_session_index(self.reference, n)
        self.covariate_models_ = self.covariate_r2_ = None
        if covariates is not None:
            xs = self._fit_covariates(xs, covariates)
        anc = None
        if anchors is not None:
            anc, self.n_anchor_events_ = parse_anchors(anchors, [x.shape[1] for x in xs], self.anchor_baseline,
                                                       pre=self._pre)
        red = self.reduction
        if red not in ("auto", "pca", "fa"):
            raise InvalidInputError(f"reduction={red!r}; use 'auto', 'pca' or 'fa'.")
        if red == "auto":
            red = "pca" if anc is not None else "fa"
        self._fit_frame(xs, anc, k, n, ref, red)
        if self.reduction == "auto" and red == "pca" and any("do not predict" in w for w in self.report_["why"]):
            self._fit_frame(xs, anc, k, n, ref, "fa")  # weak anchors: rest statistics carry the frame (FA)
        return self

    def _fit_frame(self, xs: list[np.ndarray], anc: list[np.ndarray] | None, k: int, n: int, ref: int,
                   red: str) -> None:
        """The fit proper, with the frame defined by reduction ``red``."""
        self.reduction_ = red
        self.reducers_ = [SessionReducer(k, method=red).fit(x, index=i) for i, x in enumerate(xs)]
        ys = [r.transform(x) for r, x in zip(self.reducers_, xs)]
        lags = None if self.lags is None else tuple(int(v) for v in self.lags)
        rf = rest_frames(ys, lags, "group" if self.reference == "group" else ref)
        self.lags_, self.costs_ = rf.lags, rf.costs
        blocks = [(list(s.latents), "axis" if not s.free else s.kind) for s in rf.subspaces]
        T = [t.copy() for t in rf.T]
        offsets = [np.zeros(k) for _ in range(n)]
        maps = ["rest only"] * n
        maps[ref] = "reference"
        forecast = np.full(n, np.nan)
        forecast[ref] = 1.0
        rows: list[dict[str, Any]] = []
        self._candidates: list[dict] = []
        za = [self._project(r, a) for r, a in zip(self.reducers_, anc)] if anc is not None else None
        P: list[np.ndarray | None] = [None] * n  # per session, the map of its PCA latents (PCA candidates kept)
        self.secondary_reducers_, zp, G = None, None, None
        other = "pca" if red == "fa" else "fa"
        if za is not None and PCA_CANDIDATES:
            self.secondary_reducers_ = [SessionReducer(k, method=other).fit(x, index=i) for i, x in enumerate(xs)]
            zp = [self._project(r, a) for r, a in zip(self.secondary_reducers_, anc)]
            G = pca_to_frame(self.secondary_reducers_[ref].transform(xs[ref]), ys[ref] @ T[ref])
        b = za[ref] @ T[ref] if za is not None else None
        noise_b = T[ref].T @ self.reducers_[ref].noise_cov_ @ T[ref]
        for i in range(n):
            row: dict[str, Any] = {"session": i, "map": maps[i]}
            if i == ref:
                row.update(why="defines the frame", summary="reference session: its rest frame is the shared frame")
                rows.append(row)
                continue
            if za is None:
                row.update(why="no anchors", summary=rest_only_note(rf.subspaces))
                rows.append(row)
                continue
            folds = anchor_folds(len(b))
            extra = {}
            if zp is not None:
                extra = dict(a_pca=zp[i], b_pca=zp[ref], G=G, noise_pca=self.secondary_reducers_[i].noise_cov_, other=other)
            cands = candidate_maps(za[i], T[i], b, blocks, self.reducers_[i].noise_cov_, folds, **extra)
            full = {m: (c.M, c.c) for m, c in cands.items()}
            preds = {m: c.pred for m, c in cands.items()} if folds else {}
            weak = axes_not_predicted(preds, b, folds) if folds else []
            # one weak direction is still fixed (up to sign) by the orthogonal complement of the others; the
            # rest frame must also hold up against the orthogonal anchor map (both keep the scale: neither
            # profits from shrinking the unpredictable directions)
            e_tot = {m: float(np.sum((p_ - b) ** 2)) for m, p_ in preds.items()}
            if self.anchor_map == "auto" and len(weak) > 1 and e_tot["rest"] <= REST_VS_ORTHOGONAL * e_tot["orthogonal"]:
                kept = ["rest"]
                why = (f"held-out anchor events do not predict latents {weak} of the reference (no map from "
                       f"anchors alone reproduces them on a new event): a map from anchors would guess those "
                       f"directions, so the rest frame is kept and the anchors only set signs and free rotations")
                errs = {m: fold_errors(p_, b, folds) for m, p_ in preds.items()}
            elif folds:
                kept, why, _ = choose_map(preds, b, folds, self.anchor_map, ratio=_anchors.KEEP_RATIO)
                errs = {m: fold_errors(p, b, folds) for m, p in preds.items()}
            else:
                kept = ["rest" if self.anchor_map == "auto" else self.anchor_map]
                why = (f"only {len(b)} anchor samples: too few to validate, rest frame with anchor signs"
                       if self.anchor_map == "auto" else f"anchor_map={self.anchor_map!r} was requested")
                errs = {}
            self._candidates.append({"errors": errs, "maps": full})
            T[i] = sum((full[m][0] for m in kept if cands[m].reduction == "primary"), np.zeros((k, k))) / len(kept)
            if any(cands[m].reduction == "secondary" for m in kept):
                P[i] = sum(full[m][0] for m in kept if cands[m].reduction == "secondary") / len(kept)
            offsets[i] = np.mean([full[m][1] for m in kept], axis=0)
            choice = "+".join(kept)
            maps[i] = choice
            pred = np.mean([preds[m] for m in kept], axis=0) if preds else None
            cols = [j for j in range(k) if j not in weak]
            noise_i = T[i].T @ self.reducers_[i].noise_cov_ @ T[i]
            if P[i] is not None:
                noise_i = noise_i + P[i].T @ self.secondary_reducers_[i].noise_cov_ @ P[i]
            fc, fc_note = forecast_transfer(pred, b, folds, noise_b, noise_i, cols)
            forecast[i] = fc
            row.update(map=choice, why=why, **{f"heldout_error_{m}": float(e.sum() / max(np.sum(b[np.concatenate(folds)] ** 2), 1e-300))
                                               for m, e in errs.items()},
                       forecast=fc, forecast_note=fc_note,
                       summary=axis_report(kept, rf.subspaces, b, noise_b))
            rows.append(row)
        import pandas as pd

        self.transforms_, self.offsets_, self.map_, self.forecast_ = T, offsets, maps, forecast
        self.secondary_transforms_ = P
        self.report_ = pd.DataFrame(rows)
        self.report_["frame_reduction"] = red
        self.reference_index_, self.n_sessions_ = ref, n
        for s in rf.subspaces:
            if s.free:
                s.fixed_by = "anchors" if anc is not None else "nothing (left free: pass anchors)"
            s.sign_fixed_by = "anchors" if anc is not None else "nothing (second-order statistics never fix a sign)"
        self.identifiability_ = Identifiability(
            subspaces=rf.subspaces, n_components=k, lags=rf.lags, gap_threshold=GAP_THRESHOLD,
            anchors_used=anc is not None,
            sessions=[{"session": r["session"], "notes": [f"map: {r['map']} ({r['why']})", r["summary"]],
                       "anchored": [m for m in r["map"].split("+") if m in FA_MAPS + PCA_MAPS]} for r in rows])

    def summary(self) -> str:
        """Plain-words account of the fit: per session, the map kept, why, the forecast, what rest and anchors fixed."""
        if not hasattr(self, "report_"):
            raise InvalidInputError("RestAligner is not fitted; call fit(rest_list) first.")
        why = {"pca": "anchors given: z-score + PCA of every session defines the frame",
               "fa": "factor analysis defines the frame (rest statistics carry it: no anchors, or anchors that "
                     "predict too few latents)"}[self.reduction_]
        lines = [f"frame: {self.reduction_} ({why if self.reduction == 'auto' else 'requested'})"]
        for _, r in self.report_.iterrows():
            fc = r.get("forecast", np.nan)
            fct = "" if not np.isfinite(fc) else f"; forecast: a frozen decoder keeps ~{fc:.0%} of its within-session R²"
            lines.append(f"session {r['session']}: {r['map']} — {r['why']}{fct}. {r['summary']}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ helpers
    def _project(self, red: SessionReducer, a: np.ndarray) -> np.ndarray:
        """Anchor samples -> whitened latents (deviations with a baseline, else relative to the rest mean)."""
        a = a[:, red.keep_] if not red.keep_.all() else a
        w = red.components_ / red.scale_[:, None]
        return a @ w if self.anchor_baseline else a @ w - red.mean_ @ w

    def _pre(self, x: np.ndarray, name: str) -> np.ndarray:
        if self.input_transform is None:
            return x
        if self.input_transform != "sqrt":
            raise InvalidInputError(f"input_transform={self.input_transform!r}; use None or 'sqrt'.")
        if np.nanmin(x) < 0:
            raise InvalidInputError(f"{name} has negative values; input_transform='sqrt' is for counts/rates. "
                                    f"Use input_transform=None.")
        return np.sqrt(x)

    def _fit_covariates(self, xs: list[np.ndarray], covariates: Sequence[Any]) -> list[np.ndarray]:
        lags = cov.check_lags(self.covariate_lags)
        cs = cov.check_covariates(covariates, [x.shape[0] for x in xs], self.covariate_lags)
        self.n_covariates_ = cs[0].shape[1]
        self.covariate_models_ = [cov.fit_covariates(x, c, lags, i) for i, (x, c) in enumerate(zip(xs, cs))]
        out, r2 = [], []
        for x, c, m in zip(xs, cs, self.covariate_models_):
            tot = float(np.sum(np.var(x, axis=0)))
            out.append(cov.remove_covariates(x, c, m))
            r2.append(1.0 - float(np.sum(np.var(out[-1], axis=0))) / max(tot, 1e-300))
        self.covariate_r2_ = np.array(r2)
        return out

    # ------------------------------------------------------------------ transform
    def transform(self, x: Any, session: int = 0, covariates: Any | None = None) -> Any:
        """Map data of fitted session ``session`` (rest or task, same channels) into the shared frame.

        ``covariates`` (``(time, q)``, sample-aligned with ``x``): when the aligner was fitted with
        covariates, their effect (the regression fitted on this session's rest) is removed first.
        """
        if not hasattr(self, "transforms_"):
            raise InvalidInputError("RestAligner is not fitted; call fit(rest_list) first.")
        i = check_session_index(session, self.n_sessions_)
        arr = self._pre(as_time_by_channel(x, name="x"), "x")
        if covariates is not None:
            if self.covariate_models_ is None:
                raise InvalidInputError("covariates were given to transform but the aligner was fitted without "
                                        "them; pass covariates to fit(...) too, or drop them here.")
            c = cov.check_covariate(covariates, arr.shape[0], "covariates", name_x="x")
            if c.shape[1] != self.n_covariates_:
                raise InvalidInputError(f"covariates has {c.shape[1]} columns; the aligner was fitted with "
                                        f"{self.n_covariates_}. Pass the same covariates in the same order.")
            arr = cov.remove_covariates(arr, c, self.covariate_models_[i])
        z = self.reducers_[i].transform(arr) @ self.transforms_[i] + self.offsets_[i]
        if self.secondary_transforms_[i] is not None:
            z = z + self.secondary_reducers_[i].transform(arr) @ self.secondary_transforms_[i]
        return wrap_latents(z, x, extra_attrs={"aligner": "RestAligner", "aligned_session": i})

    def fit_transform(self, rest_list: Sequence[Any], anchors: Sequence[Any] | None = None,
                      covariates: Sequence[Any] | None = None) -> list[Any]:
        """Fit, then return every rest segment in the shared frame (one array per session)."""
        self.fit(rest_list, anchors, covariates)
        return [self.transform(x, session=i, covariates=None if covariates is None else covariates[i])
                for i, x in enumerate(rest_list)]
