"""RestAligner: a shared latent frame from rest segments alone (plus anchors only where needed)."""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from ..errors import BadDataError, InvalidInputError
from ..model.validation import as_time_by_channel, check_positive_int
from .base import SessionReducer, check_session_index, check_session_list, wrap_latents
from .identifiability import Identifiability, analyse_statistics, lagged_covariances

__all__ = ["RestAligner"]


def _cayley(S: np.ndarray) -> np.ndarray:
    k = S.shape[0]
    return np.linalg.solve(np.eye(k) - S / 2, np.eye(k) + S / 2)


def _cost_grad(R: np.ndarray, Ls: np.ndarray, Ms: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """f(R) = sum_t w_t ||R^T L_t R - M_t||^2 and its gradient in the Lie algebra at R."""
    A = np.einsum("ia,tij,jb->tab", R, Ls, R)
    E = A - Ms
    f = float(np.sum(w[:, None, None] * E**2))
    X = np.einsum("t,tij->ij", 2 * w, np.einsum("tji,tjk->tik", E, A) - np.einsum("tij,tkj->tik", A, E))
    G = X.T
    return f, 0.5 * (G - G.T)


def _joint_cost_grad(R: np.ndarray, Ls: np.ndarray, Ms: np.ndarray, w: np.ndarray,
                     anchor: tuple[np.ndarray, np.ndarray, float] | None) -> tuple[float, np.ndarray]:
    """Rest cost plus, if given, the anchor misfit ``||a R - b||^2 / s2`` (same Lie-algebra gradient)."""
    f, G = _cost_grad(R, Ls, Ms, w)
    if anchor is None:
        return f, G
    a, b, s2 = anchor
    E = a @ R - b
    S = R.T @ (2 * a.T @ E) / s2
    return f + float(np.sum(E**2) / s2), G + 0.5 * (S - S.T)


def _refine(R: np.ndarray, Ls: np.ndarray, Ms: np.ndarray, w: np.ndarray, iters: int = 100,
            anchor: tuple[np.ndarray, np.ndarray, float] | None = None,
            mask: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Riemannian gradient descent on O(k) (Cayley retraction, backtracking).

    ``mask`` (k, k) restricts the generators (e.g. to rotations within one block of latents).
    """
    def _cost_grad(R_, L_, M_, w_):
        f_, G_ = _joint_cost_grad(R_, L_, M_, w_, anchor)
        return f_, (G_ if mask is None else G_ * mask)
    f, G = _cost_grad(R, Ls, Ms, w)
    t = 1.0 / max(np.linalg.norm(G), 1e-12) * 0.1
    for _ in range(iters):
        gn = np.linalg.norm(G)
        if gn < 1e-9 * max(f, 1.0):
            break
        for _ in range(30):
            Rn = R @ _cayley(-t * G)
            fn, Gn = _cost_grad(Rn, Ls, Ms, w)
            if fn <= f - 1e-4 * t * gn**2:
                break
            t *= 0.5
        else:
            break
        if f - fn < 1e-7 * max(f, 1.0):
            R, f, G = Rn, fn, Gn
            break
        R, f, G = Rn, fn, Gn
        t *= 1.5
    return R, f


def _third_cumulant(z: np.ndarray) -> np.ndarray:
    zc = z - z.mean(0)
    return np.einsum("ta,tb,tc->abc", zc, zc, zc, optimize=True) / len(zc)


class RestAligner:
    """Align sessions into one latent frame from the statistics of their rest segments.

    Each session is standardised, reduced by PCA to ``n_components`` whitened latents, and its
    whitened lagged covariances ``L_i(tau)`` are computed at ``lags``. An orthogonal map per session
    makes them match the reference's (a similarity transform of the linear dynamics in whitened
    coordinates). No channel correspondence and no paired trials are used. What the rest statistics
    cannot fix is found and reported in ``identifiability_`` (:class:`~.identifiability.Identifiability`):
    rotation-free subspaces (e.g. a rotation plane with isotropic noise) and per-block signs.
    Free parts are resolved per plane: a rotation plane with isotropic noise leaves only its SO(2)
    angle free (rest fixes the sense of rotation); directions with near-equal timescales form an O(d)
    block. Second-order statistics never fix a latent's sign. ``anchors`` (time-matched short events,
    one array per session) then fix only what is still free: the 2-D Procrustes angle of each free
    plane, each O(d) block by rest and anchors together (noise-weighted), and the sign of each axis.
    The anchor response's rank in each free block is checked against its noise; a block the anchors
    cannot fix is reported as under-determined, and signs decided on insignificant evidence are flagged.

    Parameters
    ----------
    n_components : int
        Dimension ``k`` of the shared frame.
    lags : sequence of int, optional
        Lags in samples (default powers of two from 1 up to 64, or fewer when the shortest
        session is short: 20 ms-1.3 s at 50 Hz). They should reach the slowest timescales.
    reduction : {"fa", "pca"}
        Per-session reduction. "fa" (factor analysis, default) puts private noise such as Poisson
        variability into per-channel noise so that sessions differ by a rotation of the signal.
    reference : int or "group"
        Index of the session that defines the frame, or ``"group"`` to align every session to the
        average statistics of all (iterated), so no session is privileged.
    standardize : bool
        z-score channels before PCA (absorbs gain changes).
    higher_order : bool
        Try to fix signs from third-order cumulants when the decision is significant and agrees
        across random channel halves (default False). Off by default: when loadings are drawn
        symmetrically (the usual case), the law of the data is invariant to ``z -> -z`` with
        ``C -> -C``, so a skew-based sign is a property of the recorded neurons, not of the latent;
        in our turnover simulations it gave confident wrong signs. Use anchors for signs.
    gap_threshold : float
        A rotation is "free" when its noise-scaled eigen gap z is below this.
    sign_threshold : float
        Third-order sign decisions need a z above this (from chunk-to-chunk variability).
    constant_channels : {"drop", "raise"}
        What to do with channels that never change.
    anchor_baseline : int
        Number of leading samples of every anchor snippet that precede the event. Their mean is
        subtracted from the snippet (per event and channel) and they are then dropped, so the anchor
        response is an evoked deviation, not an offset of the state the anchors were given in (e.g. a
        different arousal level than rest, which otherwise dominates the sign decision). 0 (default):
        the snippet is taken as a deviation from the rest mean.
    sign_z : float
        A sign fixed by anchors counts as significant when the per-event agreement with the
        reference's mean anchor response has a t statistic above this (needs anchors passed as
        ``(events, time, channels)``); weaker decisions are applied but reported as uncertain.
    anchor_rank : int
        If > 0, signs are decided on the anchor responses projected onto their top ``anchor_rank``
        time courses (shared by all latents, estimated from both sessions): a matched filter that
        denoises weakly driven latents. 0 (default): the raw response time courses.
    anchor_mode : {"free", "joint"}
        "free" (default): anchors only fix the blocks rest leaves free (rotations, signs), exactly as
        reported. "joint": afterwards, each session's frame is refined on rest statistics and anchors
        together, each weighted by its noise, so anchors also settle directions that rest fixes only
        weakly (close timescales, gap z near the threshold); where rest is precise it dominates.
    anchor_predict : int
        If > 0 (needs ``anchor_baseline``), each event's latent response is taken relative to what the
        session's own rest dynamics predict from its last ``anchor_predict`` pre-event samples (a
        least-squares predictor learned on rest windows of the same length), so the ongoing activity
        carried into the event window (a rotation in progress, a slow drift) is removed from the
        anchor noise. 0 (default): only the pre-event mean is subtracted.
    input_transform : {None, "sqrt"}
        Applied to every input (rest, anchors and later ``transform`` data) before reduction:
        ``"sqrt"`` is the variance-stabilising transform for spike counts (Poisson noise becomes
        nearly homoscedastic, so factor analysis sees the latent signal rather than the high rates).
    scores : {"bartlett", "posterior"}
        What ``transform`` returns (the fit is the same). "bartlett" (default): unbiased factor scores
        ``z + e``, whose signal covariance is I in every session; the noise ``e`` is each session's own
        (smaller with more, or more informative, channels). "posterior" (needs ``reduction="fa"``): the
        posterior means ``E[z | x]`` in the shared frame, i.e. each session's scores shrunk by its own
        noise model (fitted on its rest). A linear decoder trained on one session's posterior means
        estimates the latent readout itself, so it stays calibrated on a session whose scores are
        noisier (turnover to fewer informative neurons); on Bartlett scores it is tuned to the
        training session's noise level. Use it for frozen-decoder transfer.
    covariate_lags : sequence of int
        Sample offsets at which measured covariates (``fit(..., covariates=...)``) enter the regression
        (default ``(0,)``: the covariate at the same sample). A lag ``L > 0`` uses the covariate ``L``
        samples earlier, ``L < 0`` the covariate ``|L|`` samples later: a slow, lagging measurement
        such as pupil diameter (which follows arousal with a ~1 s low-pass) is better explained by a
        few leads, e.g. ``(-25, -20, ..., 0)`` at 40-ms bins. Edges are padded with the first/last value.

    Attributes
    ----------
    covariate_r2_ : ndarray (n_sessions,) or None
        Per session, the fraction of the (input-transformed) rest variance, summed over channels,
        that the covariate regression removed (None when fitted without covariates).

    Notes
    -----
    **Measured covariates.** Variables recorded alongside the neurons that drive many of them at
    once (pupil diameter and running speed as arousal proxies) are a shared mode that is not part of
    the latent dynamics; when it drifts slowly it joins the slow latents in a block that rest
    statistics cannot separate, and a stimulus (the anchors) rarely drives it. With
    ``fit(rest_list, covariates=[c_0, c_1, ...])`` (one ``(time, q)`` array per session, sample by
    sample aligned with its rest segment) each session's input-transformed rest data are regressed,
    channel by channel and by ordinary least squares with an intercept, on the covariates at
    ``covariate_lags``; the residuals are what is reduced and aligned. The regression (per session,
    fitted on its rest) is kept and applied by ``transform(x, session=i, covariates=c)`` to new data
    of that session. Anchors are used as given: their per-event baseline (``anchor_baseline``)
    removes the covariates' offset, not their change within the event. A covariate column that is
    constant on a session's rest (e.g. a mouse that never runs) cannot be estimated there; it is
    dropped for that session with a warning.

    Examples
    --------
    >>> from glue_widgets.align._simulate import simulate_days
    >>> days = simulate_days("timescales", k=3, n_neurons=60, turnover=(0, 0.5), rest_s=120, seed=1)
    >>> al = RestAligner(n_components=3).fit([d.rest for d in days])
    >>> al.transform(days[1].task, session=1).shape
    (6000, 3)

    With a measured covariate (here a slow random trace per session that multiplies all rates):

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> cov = [np.cumsum(rng.normal(size=(len(d.rest), 1)), axis=0) / 50 for d in days]
    >>> rest = [d.rest * np.exp(0.3 * c) for d, c in zip(days, cov)]
    >>> al = RestAligner(n_components=3, covariate_lags=(0,)).fit(rest, covariates=cov)
    >>> al.covariate_r2_.shape
    (2,)
    >>> al.transform(rest[1], session=1, covariates=cov[1]).shape
    (6000, 3)
    """

    def __init__(self, n_components: int = 4, *, lags: Sequence[int] | None = None,
                 reference: int | str = 0, standardize: bool = True, higher_order: bool = False,
                 gap_threshold: float = 4.0, sign_threshold: float = 3.0,
                 constant_channels: str = "drop", n_chunks: int = 8, n_splits: int = 10,
                 reduction: str = "fa", anchor_baseline: int = 0, sign_z: float = 2.0,
                 input_transform: str | None = None, anchor_rank: int = 0,
                 anchor_mode: str = "free", anchor_predict: int = 0, scores: str = "bartlett",
                 covariate_lags: Sequence[int] = (0,)) -> None:
        self.n_components = n_components
        self.lags = lags
        self.reference = reference
        self.standardize = standardize
        self.higher_order = higher_order
        self.gap_threshold = gap_threshold
        self.sign_threshold = sign_threshold
        self.constant_channels = constant_channels
        self.n_chunks = n_chunks
        self.n_splits = n_splits
        self.reduction = reduction
        self.anchor_baseline = anchor_baseline
        self.sign_z = sign_z
        self.input_transform = input_transform
        self.anchor_rank = anchor_rank
        self.anchor_mode = anchor_mode
        self.anchor_predict = anchor_predict
        self.scores = scores
        self.covariate_lags = covariate_lags

    # ------------------------------------------------------------------ fitting
    def fit(self, rest_list: Sequence[Any], anchors: Sequence[Any] | None = None,
            covariates: Sequence[Any] | None = None) -> "RestAligner":
        """Fit on one rest segment per session.

        Parameters
        ----------
        rest_list : list of (time, channels) arrays or DataArrays
            One rest segment per session.
        anchors : list, optional
            One time-matched array per session: ``(time, channels)``, or ``(events, time, channels)``.
        covariates : list, optional
            One ``(time, q)`` (or ``(time,)``) array or DataArray per session, sample-aligned with its
            rest segment: measured variables (pupil, running speed) regressed out of that session's data
            before the statistics (see Notes of the class). Must be finite; every session has the same q.
        """
        k = check_positive_int(self.n_components, name="n_components")
        if self.scores not in ("bartlett", "posterior"):
            raise InvalidInputError(f"scores={self.scores!r}; use 'bartlett' or 'posterior'.")
        if self.scores == "posterior" and self.reduction != "fa":
            raise InvalidInputError(f"scores='posterior' needs a noise model: reduction={self.reduction!r} has "
                                    f"none; use reduction='fa' or scores='bartlett'.")
        xs = [self._pre(x, f"rest_list[{i}]") for i, x in enumerate(check_session_list(rest_list, name="rest_list"))]
        self.covariate_models_ = self.covariate_r2_ = None
        if covariates is not None:
            cs = self._check_covariates(covariates, [x.shape[0] for x in xs])
            self.n_covariates_ = cs[0].shape[1]
            self.covariate_models_ = [self._fit_covariates(x, c, i) for i, (x, c) in enumerate(zip(xs, cs))]
            r2 = []
            for i, (x, c, m) in enumerate(zip(xs, cs, self.covariate_models_)):
                tot = float(np.sum(np.var(x, axis=0)))
                xs[i] = self._remove_covariates(x, c, m)
                r2.append(1.0 - float(np.sum(np.var(xs[i], axis=0))) / max(tot, 1e-300))
            self.covariate_r2_ = np.array(r2)
        if self.lags is None:
            n_min = min(x.shape[0] for x in xs)
            top = max(1, min(64, n_min // (4 * self.n_chunks)))
            lags = tuple(2**j for j in range(int(np.log2(top)) + 1))
        else:
            lags = tuple(int(v) for v in self.lags)
        if not lags or min(lags) < 1:
            raise InvalidInputError(f"lags={self.lags!r} must be positive sample counts.")
        n = len(xs)
        if isinstance(self.reference, str):
            if self.reference != "group":
                raise InvalidInputError(f"reference={self.reference!r}; use a session index or 'group'.")
            ref = 0
        else:
            ref = check_session_index(self.reference, n)
        for i, x in enumerate(xs):
            need = max(lags) * self.n_chunks * 4
            if x.shape[0] < need:
                raise InvalidInputError(
                    f"rest_list[{i}] has {x.shape[0]} samples; with lags up to {max(lags)} at least {need} "
                    f"are needed. Pass a longer rest segment or smaller lags."
                )
        anc = anc_ev = None
        if anchors is not None:
            anc, anc_ev, anc_full = self._check_anchors(anchors, xs)
            if self.anchor_predict and not self.anchor_baseline:
                raise InvalidInputError(f"anchor_predict={self.anchor_predict!r} needs anchor_baseline > 0 "
                                        f"(the pre-event samples the prediction starts from).")
        self.reducers_ = [SessionReducer(k, standardize=self.standardize, constant=self.constant_channels,
                                         method=self.reduction)
                          .fit(x, index=i) for i, x in enumerate(xs)]
        ys = [r.transform(x) for r, x in zip(self.reducers_, xs)]
        stats = [lagged_covariances(y, lags, self.n_chunks) for y in ys]
        se = np.sqrt(np.mean([s[1] ** 2 for s in stats], axis=0))
        w = 1.0 / se**2

        # rotations into the reference's whitened coordinates
        Ms = stats[ref][0]
        R = [np.eye(k) if i == ref else self._match(stats[i][0], Ms, w) for i in range(n)]
        if self.reference == "group":
            for _ in range(3):  # template = average aligned statistics, then realign everyone
                Ms = np.mean([np.einsum("ia,tij,jb->tab", Ri, s[0], Ri) for Ri, s in zip(R, stats)], axis=0)
                R = [_refine(Ri, s[0], Ms, w)[0] for Ri, s in zip(R, stats)]
        self.costs_ = np.array([_cost_grad(Ri, s[0], Ms, w)[0] for Ri, s in zip(R, stats)])

        V, subs = analyse_statistics(Ms, se, self.gap_threshold)
        T = [Ri @ V for Ri in R]
        zs = [y @ Ti for y, Ti in zip(ys, T)]
        # anchor responses in the frame: baseline-subtracted snippets are deviations (linear part of the
        # map only); raw snippets are centred on the rest mean
        za = [self._project(r, a) @ Ti for r, a, Ti in zip(self.reducers_, anc, T)] if anc is not None else None
        if anc is not None and self.anchor_predict:
            # per event: latent response minus what the session's own rest dynamics predict from the
            # pre-event samples (the ongoing activity carried into the event window)
            lat = [self._anchor_residuals(r, y, e) for r, y, e in zip(self.reducers_, ys, anc_full)]
            za = [e.mean(axis=0) @ Ti for e, Ti in zip(lat, T)]
            anc_ev = [e if e.shape[0] > 1 else None for e in lat]
        # per-event anchor responses (events, time, k) in the same coordinates, for significance
        if anc is not None and self.anchor_predict:
            zev = [None if e is None else e @ Ti for e, Ti in zip(anc_ev, T)]
        else:
            zev = ([None if e is None else self._project(r, e) @ Ti
                    for r, e, Ti in zip(self.reducers_, anc_ev, T)] if anc is not None else None)
        reports: list[dict[str, Any]] = [{"session": i, "notes": [], "anchored": [], "unresolved_by_rest": []}
                                         for i in range(n)]
        # 1) signs of the fixed blocks from third-order cumulants, relative to the template
        # in group mode the statistics template is the group's; the choices rest leaves open (signs,
        # free rotations) are still keyed to one session (the first) so that they are consistent
        kap_ref = _third_cumulant(zs[ref])
        resolved = {i: set() for i in range(n)}
        resolved[ref] = {b for b in range(len(subs))}
        for i in range(n):
            if i == ref:
                continue
            D = np.ones(k)
            if self.higher_order:
                evidence = self._sign_evidence(zs[i], xs[i], self.reducers_[i], T[i], seed=i)
                for bi, s in enumerate(subs):
                    if s.free:
                        continue
                    zf, zstat = self._sign_decision(evidence, kap_ref, list(s.latents))
                    if zstat >= self.sign_threshold:
                        D[list(s.latents)] = zf
                        resolved[i].add(bi)
                        reports[i]["notes"].append(f"sign of latents {list(s.latents)} fixed by third-order "
                                                   f"cumulants (z={zstat:.1f})")
            T[i] = T[i] * D
            zs[i] = zs[i] * D
            if za is not None:
                za[i] = za[i] * D
                if zev[i] is not None:
                    zev[i] = zev[i] * D
        T_rest = [t.copy() for t in T]
        # 2) anchors fix only what is still free: rotation-free blocks and unresolved signs
        for i in range(n):
            Ti = T[i]
            for bi, s in enumerate(subs):
                if bi in resolved[i]:
                    continue
                idx = list(s.latents)
                what = f"rotation in latents {idx}" if s.free else f"sign of latents {idx}"
                reports[i]["unresolved_by_rest"].append(what)
                if za is None:
                    reports[i]["notes"].append(f"{what}: left free (no anchors)")
                    continue
                ref_anchor = za[ref]
                Ab, Bb = za[i][:, idx], ref_anchor[:, idx]
                if not s.free and self.anchor_rank:
                    # matched filter: the anchor response has few time courses shared by all latents
                    # (e.g. one envelope along a direction); estimating them from every latent of both
                    # sessions denoises the template of a weakly driven latent
                    P = self._anchor_time_basis(za[i], ref_anchor)
                    Ab, Bb = P @ Ab, P @ Bb
                if s.free:
                    O = self._fix_free_block(i, ref, s, Ti, T[ref], stats[i][0], Ms, w, za, zev, reports[i])
                else:
                    # latents are centred on the rest mean, so an event response is a deviation from 0:
                    # no re-centring (a monophasic response would lose most of its signal)
                    O = np.eye(len(idx)) * (1.0 if np.sum(Ab * Bb) >= 0 else -1.0)
                    # the shape of the response alone (re-centred) should agree; if not, say so
                    if np.sum((Ab - Ab.mean(0)) * (Bb - Bb.mean(0))) * np.sum(Ab * Bb) < 0:
                        reports[i]["notes"].append(f"{what}: anchor offset and anchor shape disagree "
                                                   f"(sign uncertain)")
                    if zev[i] is not None and zev[i].shape[0] >= 3:
                        # each event's agreement with the reference's mean response: is the sign
                        # decision better than a coin flip? (t over events)
                        ev_i = zev[i][:, :, idx]
                        if self.anchor_rank:
                            ev_i = np.einsum("st,etk->esk", P, ev_i)
                        per = np.einsum("etk,tk->e", ev_i, Bb) * O[0, 0]
                        tval = float(per.mean() / max(per.std(ddof=1) / np.sqrt(len(per)), 1e-300))
                        reports[i].setdefault("anchor_sign_t", {})[str(idx)] = tval
                        if tval < self.sign_z:
                            reports[i]["notes"].append(
                                f"{what}: sign from anchors NOT significant (t={tval:.1f} over "
                                f"{len(per)} events < {self.sign_z:g}): anchors barely drive it, the sign is a guess")
                            reports[i].setdefault("uncertain", []).append(what)
                Ti[:, idx] = Ti[:, idx] @ O
                za[i][:, idx] = za[i][:, idx] @ O
                # agreement of the anchor responses after the fix: near 0 means the anchors hardly
                # drive this subspace and the fix is a guess
                a_c, b_c = za[i][:, idx], Bb
                r = float(np.sum(a_c * b_c) / max(np.linalg.norm(a_c) * np.linalg.norm(b_c), 1e-300))
                reports[i]["anchored"].append(what)
                reports[i].setdefault("anchor_agreement", {})[str(idx)] = r
                how = ("fixed by anchors (" if what not in reports[i].get("underdetermined", []) else
                       "set by the anchors, unreliably (under-determined, see above" if s.kind == "plane" else
                       "set by anchors and rest together (under-determined, see above")
                reports[i]["notes"].append(f"{what}: {how}; anchor agreement r={r:.2f}"
                                           + (", weak: anchors barely drive it)" if r < 0.3 else ")"))
            T[i] = Ti
        if za is not None and self.anchor_mode == "joint":
            self._joint(T, T_rest, stats, Ms, w, za, zev, ref, subs, reports)
        elif self.anchor_mode not in ("free", "joint"):
            raise InvalidInputError(f"anchor_mode={self.anchor_mode!r}; use 'free' or 'joint'.")
        for s in subs:
            if s.free:
                s.fixed_by = "anchors" if anc is not None else "nothing (left free: pass anchors)"
                under = [r["session"] for r in reports
                         if f"rotation in latents {list(s.latents)}" in r.get("underdetermined", [])]
                if anc is not None and under:
                    s.fixed_by = f"anchors, UNDER-DETERMINED in sessions {under} (see below)"
                s.sign_fixed_by = "(inside the rotation)"
            else:
                how = {("third-order" if any("third-order" in nt and str(list(s.latents)) in nt
                                             for nt in r["notes"]) else
                        "anchors" if any(str(list(s.latents)) in a for a in r["anchored"]) else
                        "unresolved") for r in reports if r["session"] != ref}
                s.sign_fixed_by = "/".join(sorted(how)) if how else "reference"
        self.transforms_ = T
        self.reference_index_ = ref
        self.lags_ = lags
        self.n_sessions_ = n
        self.identifiability_ = Identifiability(subspaces=subs, n_components=k, lags=lags,
                                                gap_threshold=self.gap_threshold,
                                                anchors_used=anc is not None, sessions=reports)
        return self

    def _fix_free_block(self, i, ref, s, Ti, Tref, Li, Ms, w, za, zev, report) -> np.ndarray:
        """Orthogonal map within free block ``s`` of session ``i`` from anchors, regularised by rest.

        A rotation plane (isotropic: rest carries no information on its angle): the SO(2) Procrustes
        solution of the anchor responses (rest fixes the sense of rotation, so no reflection). A block
        of near-equal timescales (rest carries weak information): minimises the noise-weighted rest
        misfit plus the noise-weighted anchor misfit over O(d) within the block (signs included),
        starting from the anchor Procrustes solution and every sign pattern of the rest solution.
        Checks the anchor dimension:
        a d-D block needs an anchor response of rank >= 1 (plane) or >= d (O(d) block); otherwise the
        block is reported under-determined (anchors fix the driven directions, weak rest statistics
        the others).
        """
        idx = list(s.latents)
        d, k = len(idx), Ti.shape[0]
        Ab, Bb = za[i][:, idx], za[ref][:, idx]
        plane = s.kind == "plane"
        U, _, Wt = np.linalg.svd(Ab.T @ Bb)
        Dfix = np.eye(d)
        if plane:  # stay in SO(2): rest statistics fix the sense of rotation
            Dfix[-1, -1] = np.sign(np.linalg.det(U @ Wt))
        O_proc = U @ Dfix @ Wt
        # anchor noise: per-event spread / n_events, both sessions; anchor response rank vs that noise
        evs = [e[:, :, idx] for e in (zev[i], zev[ref]) if e is not None and e.shape[0] > 1]
        need = 1 if plane else d
        what = f"rotation in latents {idx}"
        if evs:
            s2 = 2 * float(np.mean([np.mean(np.var(e, axis=0, ddof=1)) / e.shape[0] for e in evs]))
            bound = np.sqrt(s2 / 2) * (np.sqrt(Ab.shape[0]) + np.sqrt(d))
            svs = [np.linalg.svd(m, compute_uv=False) for m in (Ab, Bb)]
            rank = int(min(np.sum(v > bound) for v in svs))
            ratio = float(min(v[0] for v in svs) / max(bound, 1e-300))
            report.setdefault("anchor_rank", {})[str(idx)] = rank
            if rank < need:
                report.setdefault("underdetermined", []).append(what)
                tail = ("the angle the anchors give is not reliable" if plane else
                        "anchors fix the directions they drive, the weak rest statistics the others")
                report["notes"].append(
                    f"{what}: UNDER-DETERMINED by anchors (anchor response rank {rank} above noise < {need} "
                    f"needed for this {'SO(2) plane' if plane else f'O({d}) block'}; top singular value "
                    f"{ratio:.1f}x the noise level): {tail}")
        else:
            s2 = float(np.mean((Ab @ O_proc - Bb) ** 2))
            report["notes"].append(f"{what}: anchor rank not checked (pass anchors as (events, time, channels))")
        if plane:
            # an isotropic rotation plane: the rest statistics carry no information on the angle (any
            # preference they show is noise), so the angle is the anchors' 2-D Procrustes solution
            return O_proc
        # near-equal timescales: rest does carry (weak) information; fit both, noise-weighted.
        # rest misfit in the current coordinates of both frames; rotate only within the block
        Lc = np.einsum("ia,tij,jb->tab", Ti, Li, Ti)
        Mc = np.einsum("ia,tij,jb->tab", Tref, Ms, Tref)
        mask = np.zeros((k, k))
        mask[np.ix_(idx, idx)] = 1.0
        anchor = (za[i], za[ref], max(s2, 1e-12))  # columns outside the block only add a constant

        def embed(O: np.ndarray) -> np.ndarray:
            E = np.eye(k)
            E[np.ix_(idx, idx)] = O
            return E

        starts = [O_proc]
        if d <= 8:
            starts += [np.diag([-1.0 if bits >> j & 1 else 1.0 for j in range(d)]) for bits in range(2 ** d)]
        best, fbest = O_proc, np.inf
        scored = sorted((_joint_cost_grad(embed(O), Lc, Mc, w, anchor)[0], j) for j, O in enumerate(starts))
        for _, j in scored[:4]:
            R, f = _refine(embed(starts[j]), Lc, Mc, w, anchor=anchor, mask=mask)
            if f < fbest:
                best, fbest = R[np.ix_(idx, idx)], f
        if zev[i] is not None and zev[i].shape[0] >= 3:
            # which axes of the block do the anchors actually orient? per-event agreement t per axis
            ev_i = zev[i][:, :, idx] @ best
            for j, lat in enumerate(idx):
                per = ev_i[:, :, j] @ Bb[:, j]
                tval = float(per.mean() / max(per.std(ddof=1) / np.sqrt(len(per)), 1e-300))
                report.setdefault("anchor_sign_t", {})[str([lat])] = tval
                if tval < self.sign_z:
                    report["notes"].append(
                        f"sign of latent {lat} (in block {idx}): anchor evidence NOT significant (t={tval:.1f} "
                        f"over {len(per)} events < {self.sign_z:g}): the anchors barely drive it and rest "
                        f"never fixes a sign, so this sign is a guess")
                    report.setdefault("uncertain", []).append(f"sign of latent {lat}")
        return best

    def _joint(self, T, T_rest, stats, Ms, w, za, zev, ref, subs, reports) -> None:
        """Final fit of each session's frame to rest statistics AND anchors, each weighted by its noise.

        Where the rest statistics are precise (large eigen gaps) they dominate; where they are flat
        or nearly so (free planes, close timescales, signs) the anchors decide. Starts: the anchored
        solution, the rest-only solution, and single sign flips of the fixed blocks.
        """
        k = T[ref].shape[0]
        Mc = np.einsum("ia,tij,jb->tab", T[ref], Ms, T[ref])
        b = za[ref]
        for i in range(len(T)):
            if i == ref:
                continue
            Lc = np.einsum("ia,tij,jb->tab", T[i], stats[i][0], T[i])
            # matched filter (anchor_rank time courses) on both responses, as for the sign decisions
            P = self._anchor_time_basis(za[i], za[ref]) if self.anchor_rank else np.eye(len(b))
            a, bf = P @ za[i], P @ b
            # noise variance of one entry of (a - b): per-event spread / n_events of both sessions
            parts = [float(np.mean(np.var(np.einsum("st,etk->esk", P, e), axis=0, ddof=1)) / e.shape[0])
                     for e in (zev[i], zev[ref]) if e is not None and e.shape[0] > 1]
            s2 = sum(parts) * (2 / len(parts)) if parts else float(np.mean((a - bf) ** 2))
            anchor = (a, bf, max(s2, 1e-12))
            # signs are discrete: start from the anchored frame and from the rest-only frame with every
            # sign pattern (k <= 8), then descend
            Q_rest = T[i].T @ T_rest[i]
            starts = [np.eye(k)]
            if k <= 8:
                for bits in range(2 ** k):
                    starts.append(Q_rest * np.array([-1.0 if bits >> j & 1 else 1.0 for j in range(k)]))
            else:
                starts.append(Q_rest)
            scored = sorted((_joint_cost_grad(Q, Lc, Mc, w, anchor)[0], j) for j, Q in enumerate(starts))
            best, fbest = None, np.inf
            for _, j in scored[:3]:
                Q, f = _refine(starts[j], Lc, Mc, w, anchor=anchor)
                if f < fbest:
                    best, fbest = Q, f
            T[i] = T[i] @ best
            reports[i]["notes"].append(
                f"joint rest+anchor refinement moved the frame by {np.linalg.norm(best - np.eye(k)):.2f} "
                f"(Frobenius; det {np.linalg.det(best):+.0f})")
            reports[i]["joint_shift"] = float(np.linalg.norm(best - np.eye(k)))

    def _anchor_residuals(self, red: SessionReducer, y: np.ndarray, ev: np.ndarray) -> np.ndarray:
        """Anchor events (events, pre + post, channels) -> (events, post, k) latent residuals.

        On the session's rest latents ``y``, every window of ``anchor_baseline`` samples followed by
        the event length is a training pair: the last ``anchor_predict`` pre samples (minus the
        pre-window mean) predict the following samples (minus the same mean), by least squares. The
        same prediction is subtracted from each event. Offsets of the anchor block (arousal) cancel
        as with the plain baseline; the ongoing dynamics carried into the window (a rotation in
        progress, a slow latent drifting) no longer count as response noise.
        """
        nb, p = int(self.anchor_baseline), int(self.anchor_predict)
        if p > nb:
            raise InvalidInputError(f"anchor_predict={p} exceeds anchor_baseline={nb} pre-event samples.")
        ye = self._project(red, ev)  # linear part only: offsets cancel against the pre-window mean
        n_post, k = ye.shape[1] - nb, y.shape[1]
        win = nb + n_post
        if len(y) < 4 * win:
            raise InvalidInputError(f"rest segment too short ({len(y)} samples) to learn the anchor predictor "
                                    f"over {win}-sample windows; use anchor_predict=0.")
        from numpy.lib.stride_tricks import sliding_window_view

        W = sliding_window_view(y, win, axis=0).transpose(0, 2, 1)  # (n_windows, win, k)

        def feats(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            m = w[:, :nb].mean(axis=1, keepdims=True)
            return (w[:, nb - p:nb] - m).reshape(len(w), -1), (w[:, nb:] - m).reshape(len(w), -1)

        Xr, Yr = feats(W[:: max(1, len(W) // 20000)])
        B = np.linalg.lstsq(Xr, Yr, rcond=None)[0]
        Xe, Ye = feats(ye)
        return (Ye - Xe @ B).reshape(len(ye), n_post, k)

    def _anchor_time_basis(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Projector (time x time) on the top ``anchor_rank`` time courses of both sessions' responses."""
        M = np.concatenate([a / max(np.linalg.norm(a), 1e-300), b / max(np.linalg.norm(b), 1e-300)], axis=1)
        U = np.linalg.svd(M, full_matrices=False)[0][:, : int(self.anchor_rank)]
        return U @ U.T

    def _project(self, red: SessionReducer, a: np.ndarray) -> np.ndarray:
        """Anchor snippet(s) ``(..., time, channels)`` -> latents of one session's reducer."""
        a = a[..., red.keep_] if not red.keep_.all() else a
        w = red.components_ / red.scale_[:, None]
        return a @ w if self.anchor_baseline else a @ w - red.mean_ @ w

    def _pre(self, x: np.ndarray, name: str) -> np.ndarray:
        """Input transform (``transform="sqrt"`` for counts)."""
        if self.input_transform is None:
            return x
        if self.input_transform != "sqrt":
            raise InvalidInputError(f"input_transform={self.input_transform!r}; use None or 'sqrt'.")
        if np.nanmin(x) < 0:
            raise InvalidInputError(f"{name} has negative values; transform='sqrt' is for counts/rates. "
                                    f"Use input_transform=None.")
        return np.sqrt(x)

    def _check_anchors(self, anchors: Sequence[Any], xs: list[np.ndarray]
                       ) -> tuple[list[np.ndarray], list[np.ndarray | None], list[np.ndarray | None]]:
        """Anchors: one (time, channels) array, or (events, time, channels) repeats, per session.

        Repeats are averaged (the anchor's response is the same on every repeat), which is what
        makes a handful of events enough.
        """
        if isinstance(anchors, np.ndarray) or not isinstance(anchors, Sequence):
            raise InvalidInputError("anchors must be a list with one array per session.")
        if len(anchors) != len(xs):
            raise InvalidInputError(f"anchors holds {len(anchors)} arrays for {len(xs)} sessions; pass one per session.")
        out, events, full = [], [], []
        nb = int(self.anchor_baseline)
        if nb < 0:
            raise InvalidInputError(f"anchor_baseline={self.anchor_baseline!r} must be >= 0 samples.")
        for i, a in enumerate(anchors):
            arr = np.asarray(a.values if hasattr(a, "values") and not isinstance(a, np.ndarray) else a, float)
            if arr.ndim == 3:
                if not np.isfinite(arr).all():
                    raise BadDataError(f"anchors[{i}] contains NaN/inf values.")
                ev = self._pre(arr, f"anchors[{i}]")
            else:
                ev = self._pre(as_time_by_channel(a, name=f"anchors[{i}]"), f"anchors[{i}]")[None]
            if nb:
                if ev.shape[1] <= nb:
                    raise InvalidInputError(f"anchors[{i}] has {ev.shape[1]} samples, not more than "
                                            f"anchor_baseline={nb}; pass snippets with the event after the baseline.")
                full.append(ev)
                # per event and channel: evoked deviation from the pre-event baseline
                ev = ev[:, nb:] - ev[:, :nb].mean(axis=1, keepdims=True)
            else:
                full.append(None)
            events.append(ev if ev.shape[0] > 1 else None)
            arr = ev.mean(axis=0)
            if arr.shape[1] != xs[i].shape[1]:
                raise InvalidInputError(f"anchors[{i}] has {arr.shape[1]} channels, rest_list[{i}] {xs[i].shape[1]}.")
            out.append(arr)
        if len({a.shape[0] for a in out}) != 1:
            raise InvalidInputError(
                f"anchor arrays must be time-matched (same length); got lengths {[a.shape[0] for a in out]}."
            )
        return out, events, full

    def _match(self, Ls: np.ndarray, Ms: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Orthogonal R with R^T L R ~ M: eigen-basis initialisations, then gradient refinement."""
        k = Ls.shape[1]

        def basis(L: np.ndarray) -> np.ndarray:
            S = np.einsum("t,tij->ij", w, 0.5 * (L + np.transpose(L, (0, 2, 1))))
            return np.linalg.eigh(S)[1][:, ::-1]

        Vi, Vr = basis(Ls), basis(Ms)
        cands = []
        for j in range(-1, k):
            for sw in range(-1, k - 1):
                P = np.eye(k)
                if sw >= 0:
                    P[:, [sw, sw + 1]] = P[:, [sw + 1, sw]]
                if j >= 0:
                    P[:, j] *= -1
                cands.append(Vi @ P @ Vr.T)
        best, fbest = None, np.inf
        scores = [(_cost_grad(R0, Ls, Ms, w)[0], ix) for ix, R0 in enumerate(cands)]
        for _, ix in sorted(scores)[:3]:
            R, f = _refine(cands[ix], Ls, Ms, w)
            if f < fbest:
                best, fbest = R, f
        return best

    def _sign_evidence(self, z: np.ndarray, x: np.ndarray, red: SessionReducer, T: np.ndarray,
                       seed: int) -> list[np.ndarray]:
        """Chunk-wise third cumulants of the latents, from all channels and from random channel halves.

        A skew that belongs to the latent (not to the particular neurons reading it out) must show
        in every sub-population: the latent is re-estimated from random halves of the channels
        (regression through the channel covariance). Returns one (n_chunks, k, k, k) array per
        estimate, the all-channel estimate first.
        """
        k = z.shape[1]
        edges = np.linspace(0, len(z), self.n_chunks + 1).astype(int)

        def chunks(zz: np.ndarray) -> np.ndarray:
            return np.stack([_third_cumulant(zz[a:b]) for a, b in zip(edges[:-1], edges[1:])])

        out = [chunks(z)]
        nk = red.cov_.shape[0]
        if nk >= 4 * k and self.n_splits > 0:
            rng = np.random.default_rng(seed)
            C = red.cov_
            W = red.components_ @ T
            xk = x[:, red.keep_] if not red.keep_.all() else x
            for _ in range(self.n_splits):
                perm = rng.permutation(nk)
                for h in (perm[: nk // 2], perm[nk // 2:]):
                    Chh = C[np.ix_(h, h)]
                    beta = np.linalg.solve(Chh + 1e-3 * np.trace(Chh) / len(h) * np.eye(len(h)), C[h] @ W)
                    beta = beta / red.scale_[h][:, None]
                    out.append(xk[:, h] @ beta - red.mean_[h] @ beta)
                    out[-1] = chunks(out[-1])
        return out

    @staticmethod
    def _sign_decision(evidence: list[np.ndarray], kap_ref: np.ndarray, idx: list[int]) -> tuple[float, float]:
        """Sign (+1/-1) of block ``idx`` matching the reference third cumulant, and its z (0 if unsure).

        The decision must agree across every channel half; z is the smallest chunk-to-chunk z.
        """
        k = kap_ref.shape[0]
        mask = np.zeros(k, bool)
        mask[idx] = True
        # entries whose index triple contains the block an odd number of times flip with its sign
        cnt = mask[:, None, None].astype(int) + mask[None, :, None] + mask[None, None, :]
        odd = cnt % 2 == 1
        zs = []
        for ch in evidence:
            vals = ch[:, odd] @ kap_ref[odd]
            zs.append(vals.mean() / max(vals.std(ddof=1) / np.sqrt(len(vals)), 1e-300))
        zs = np.array(zs)
        if not (np.all(zs > 0) or np.all(zs < 0)):
            return 1.0, 0.0
        return float(np.sign(zs[0])), float(np.min(np.abs(zs)))

    # ------------------------------------------------------------------ transform
    def transform(self, x: Any, session: int, covariates: Any | None = None) -> Any:
        """Map data of fitted session ``session`` (rest or task, same channels) into the shared frame.

        ``covariates`` (``(time, q)``, sample-aligned with ``x``): when the aligner was fitted with
        covariates, their effect (the regression fitted on this session's rest) is removed from ``x``
        first. Without them, ``x`` is projected as is.
        """
        if not hasattr(self, "transforms_"):
            raise InvalidInputError("RestAligner is not fitted; call fit(rest_list) first.")
        i = check_session_index(session, self.n_sessions_)
        arr = self._pre(as_time_by_channel(x, name="x"), "x")
        if covariates is not None:
            if getattr(self, "covariate_models_", None) is None:
                raise InvalidInputError("covariates were given to transform but the aligner was fitted without "
                                        "them; pass covariates to fit(...) too, or drop them here.")
            c = self._check_covariate(covariates, arr.shape[0], "covariates", name_x="x")
            if c.shape[1] != self.n_covariates_:
                raise InvalidInputError(f"covariates has {c.shape[1]} columns; the aligner was fitted with "
                                        f"{self.n_covariates_}. Pass the same covariates in the same order.")
            arr = self._remove_covariates(arr, c, self.covariate_models_[i])
        z = self.reducers_[i].transform(arr, posterior=self.scores == "posterior") @ self.transforms_[i]
        return wrap_latents(z, x, extra_attrs={"aligner": "RestAligner", "aligned_session": i})

    def fit_transform(self, rest_list: Sequence[Any], anchors: Sequence[Any] | None = None,
                      covariates: Sequence[Any] | None = None) -> list[Any]:
        self.fit(rest_list, anchors, covariates)
        return [self.transform(x, session=i, covariates=None if covariates is None else covariates[i])
                for i, x in enumerate(rest_list)]

    # ------------------------------------------------------------------ covariates
    def _lags_checked(self) -> tuple[int, ...]:
        try:
            lags = tuple(int(v) for v in self.covariate_lags)
        except (TypeError, ValueError):
            raise InvalidInputError(f"covariate_lags={self.covariate_lags!r} must be a sequence of integer "
                                    f"sample offsets, e.g. (0,) or (-25, -20, -15, -10, -5, 0).") from None
        if not lags or len(set(lags)) != len(lags):
            raise InvalidInputError(f"covariate_lags={self.covariate_lags!r} must be non-empty and without "
                                    f"repeats, e.g. (0,).")
        return lags

    def _check_covariate(self, c: Any, n: int, name: str, name_x: str) -> np.ndarray:
        try:
            arr = as_time_by_channel(c, name=name, allow_nan=True)
        except InvalidInputError as e:
            raise InvalidInputError(f"{name} must be a (time, q) array with one row per sample of {name_x}: {e}"
                                    ) from None
        if arr.shape[0] != n:
            raise InvalidInputError(f"{name} has {arr.shape[0]} samples but {name_x} has {n}; resample the "
                                    f"covariates onto the data's time bins (one row per sample).")
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            raise InvalidInputError(f"{name} has {int(bad.sum())} NaN/inf values (first at samples "
                                    f"{rows[:5].tolist()}); interpolate over the gaps (e.g. blinks in a pupil "
                                    f"trace) or drop that covariate before aligning.")
        return arr

    def _check_covariates(self, covariates: Sequence[Any], ns: list[int]) -> list[np.ndarray]:
        if isinstance(covariates, np.ndarray) or not isinstance(covariates, Sequence):
            raise InvalidInputError("covariates must be a list with one (time, q) array per session "
                                    f"(got {type(covariates).__name__}).")
        if len(covariates) != len(ns):
            raise InvalidInputError(f"covariates holds {len(covariates)} arrays for {len(ns)} sessions; "
                                    f"pass one per session.")
        self._lags_checked()
        cs = [self._check_covariate(c, n, f"covariates[{i}]", f"rest_list[{i}]")
              for i, (c, n) in enumerate(zip(covariates, ns))]
        qs = [c.shape[1] for c in cs]
        if len(set(qs)) != 1:
            raise InvalidInputError(f"covariates have {qs} columns per session; every session needs the same "
                                    f"covariates in the same order.")
        return cs

    def _design(self, c: np.ndarray) -> np.ndarray:
        """(time, q) -> (time, q * len(lags)): the covariates at every lag, edges padded."""
        lags = self._lags_checked()
        n = len(c)
        before, after = max(0, max(lags)), max(0, -min(lags))
        pad = np.pad(c, ((before, after), (0, 0)), mode="edge")
        return np.concatenate([pad[before - L: before - L + n] for L in lags], axis=1)

    def _fit_covariates(self, x: np.ndarray, c: np.ndarray, index: int) -> dict:
        """Least-squares regression (with intercept) of every channel of ``x`` on the lagged covariates."""
        D = self._design(c)
        mu, sd = D.mean(axis=0), D.std(axis=0)
        keep = sd > 1e-9 * np.maximum(1.0, np.abs(mu))
        if not keep.all():
            q = c.shape[1]
            cols = sorted({int(j) % q for j in np.flatnonzero(~keep)})
            warnings.warn(f"session {index}: covariate column(s) {cols} are constant on its rest segment; their "
                          f"effect cannot be estimated there and they are not removed in this session.",
                          stacklevel=3)
        if not keep.any():
            return {"keep": keep, "mu": mu, "sd": sd, "beta": np.zeros((0, x.shape[1]))}
        Dz = (D[:, keep] - mu[keep]) / sd[keep]
        if Dz.shape[1] >= x.shape[0] // 2:
            raise InvalidInputError(f"rest_list[{index}] has {x.shape[0]} samples for {Dz.shape[1]} covariate "
                                    f"regressors (q x len(covariate_lags)); use fewer lags or a longer rest.")
        beta = np.linalg.lstsq(Dz, x - x.mean(axis=0), rcond=None)[0]
        return {"keep": keep, "mu": mu, "sd": sd, "beta": beta}

    def _remove_covariates(self, x: np.ndarray, c: np.ndarray, m: dict) -> np.ndarray:
        if not m["keep"].any():
            return x
        D = self._design(c)[:, m["keep"]]
        return x - ((D - m["mu"][m["keep"]]) / m["sd"][m["keep"]]) @ m["beta"]
