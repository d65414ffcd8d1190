"""What rest statistics fix, and what they leave free.

Rest alignment matches each session's whitened lagged covariances ``L(tau)`` to the reference's
with an orthogonal map. The maps that leave every ``L(tau)`` of the reference unchanged cannot be
told apart by the rest data; they are the *free* part of the frame:

* continuous freedoms: rotations ``exp(G)`` whose generator commutes with every ``L(tau)``
  (``[G, L] = 0``). A rotation plane with isotropic noise is the textbook case: its lagged
  covariances are ``r^tau R(theta tau)``, which commute with every in-plane rotation. We find them as
  the near-null space of the quadratic form ``sum_tau ||[G, L(tau)]||^2 / se_tau^2`` over ``so(k)``;
  its eigenvalues are squared, noise-scaled eigen gaps.
* discrete freedoms: a sign flip of a group of axes that no ``L(tau)`` couples to the rest.
  Second-order statistics never fix ``z -> -z``; third-order cumulants can when the data are skewed
  enough, anchors always can.

:class:`Identifiability` is the readable report (``print(al.identifiability_)``, ``.to_frame()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Subspace", "Identifiability", "analyse_statistics", "lagged_covariances"]


def lagged_covariances(y: np.ndarray, lags: tuple[int, ...], n_chunks: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Whitened lagged covariances ``L[j] = E[y(t + lag_j) y(t)^T]`` and their standard errors.

    Standard errors come from ``n_chunks`` contiguous chunks (std over chunks / sqrt(n_chunks)), so
    they include the autocorrelation of the data. Returns ``(L, se)`` with ``se`` one scalar per lag
    (median over entries).
    """
    n, k = y.shape
    L = np.stack([y[lag:].T @ y[: n - lag] / (n - lag) for lag in lags])
    edges = np.linspace(0, n, n_chunks + 1).astype(int)
    chunk_L = []
    for a, b in zip(edges[:-1], edges[1:]):
        yc = y[a:b]
        m = len(yc)
        chunk_L.append(np.stack([yc[lag:].T @ yc[: m - lag] / max(m - lag, 1) for lag in lags]))
    chunk_L = np.asarray(chunk_L)
    se = chunk_L.std(axis=0, ddof=1) / np.sqrt(n_chunks)
    se_lag = np.maximum(np.median(se.reshape(len(lags), -1), axis=1), 1e-6)
    return L, se_lag


def _so_basis(k: int) -> list[np.ndarray]:
    out = []
    for a in range(k):
        for b in range(a + 1, k):
            g = np.zeros((k, k))
            g[a, b], g[b, a] = -1 / np.sqrt(2), 1 / np.sqrt(2)
            out.append(g)
    return out


@dataclass
class Subspace:
    """One block of the shared frame and how it is pinned down."""

    latents: tuple[int, ...]
    status: str              # "fixed up to sign" | "rotation free"
    why: str
    gap_z: float             # smallest noise-scaled eigen gap separating/within this block
    fixed_by: str = "rest (lagged covariances)"
    sign_fixed_by: str = "unresolved"

    @property
    def dimension(self) -> int:
        return len(self.latents)

    @property
    def free(self) -> bool:
        return self.status == "rotation free"

    def as_dict(self) -> dict[str, Any]:
        return {"latents": self.latents, "dimension": self.dimension, "status": self.status,
                "fixed_by": self.fixed_by, "sign_fixed_by": self.sign_fixed_by,
                "gap_z": round(float(self.gap_z), 2), "why": self.why}


@dataclass
class Identifiability:
    """Per-subspace report of what the rest statistics fix (see module docstring)."""

    subspaces: list[Subspace]
    n_components: int
    lags: tuple[int, ...]
    gap_threshold: float
    anchors_used: bool = False
    sessions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def free_latents(self) -> tuple[int, ...]:
        return tuple(i for s in self.subspaces if s.free for i in s.latents)

    @property
    def sign_free_latents(self) -> tuple[int, ...]:
        """Latents whose sign second-order statistics leave free (all non-rotation-free ones)."""
        return tuple(i for s in self.subspaces if not s.free for i in s.latents)

    @property
    def needs_anchors(self) -> bool:
        """True when some freedom was left unresolved by rest statistics (rotation or a sign)."""
        if any(s.free for s in self.subspaces):
            return True
        return any(r.get("unresolved_by_rest") for r in self.sessions)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([s.as_dict() for s in self.subspaces])

    def __str__(self) -> str:
        lines = [f"Identifiability of a {self.n_components}-dim rest frame (lags {list(self.lags)} samples, "
                 f"free if noise-scaled eigen gap z < {self.gap_threshold:g}):"]
        for s in self.subspaces:
            lines.append(f"  latents {list(s.latents)} ({s.dimension}-D): {s.status}; gap z={s.gap_z:.1f}; "
                         f"fixed by {s.fixed_by}; sign by {s.sign_fixed_by}. {s.why}")
        if self.sessions:
            for r in self.sessions:
                lines.append(f"  session {r['session']}: " + "; ".join(r.get("notes", [])))
        lines.append("  anchors were " + ("used for: " + ", ".join(sorted({n for r in self.sessions
                                                                           for n in r.get('anchored', [])}))
                                          if self.anchors_used else "not used")
                     + (" — rest statistics alone leave freedom here" if self.needs_anchors else ""))
        return "\n".join(lines)

    __repr__ = __str__


def analyse_statistics(L: np.ndarray, se: np.ndarray, gap_threshold: float = 4.0,
                       couple_threshold: float = 4.0) -> tuple[np.ndarray, list[Subspace]]:
    """Canonical basis ``V`` (columns) of a reference's statistics and its subspace blocks.

    ``L`` (n_lags, k, k) whitened lagged covariances with per-lag standard errors ``se``. Blocks are
    ordered slowest first (largest summed autocorrelation); ``V`` maps whitened coordinates to
    canonical ones (``z = y @ V``).
    """
    n_lags, k, _ = L.shape
    Ln = L / se[:, None, None]
    basis = _so_basis(k)
    if basis:
        J = np.stack([np.concatenate([(g @ Ln[j] - Ln[j] @ g).ravel() for j in range(n_lags)]) for g in basis], 1)
        mu, U = np.linalg.eigh(J.T @ J)
        # for a plane rotation between eigen-directions with gap d: mu = sum_tau 2 (d/se)^2; a gap
        # estimate has se ~ sqrt(2) se_tau, so z = sqrt(mu)/2 is the gap in its own noise units
        gz = np.sqrt(np.maximum(mu, 0)) / 2
        free_idx = np.flatnonzero(gz < gap_threshold)
    else:
        gz, U, free_idx = np.array([]), np.zeros((0, 0)), np.array([], int)
    M = np.sum(0.5 * (Ln + np.transpose(Ln, (0, 2, 1))), axis=0)
    blocks: list[tuple[np.ndarray, str, float]] = []  # (basis columns, status, gap)
    if free_idx.size:
        gens = [sum(U[g, j] * basis[g] for g in range(len(basis))) for j in free_idx]
        B = sum(G.T @ G for G in gens)
        ev, evec = np.linalg.eigh(B)
        F = evec[:, ev > 0.25]
        # split the free subspace into independent blocks with a generic weighting of the generators
        wts = 1.0 + np.arange(len(gens)) * 0.618
        Bw = F.T @ sum(w * G.T @ G for w, G in zip(wts, gens)) @ F
        ew, vw = np.linalg.eigh(Bw)
        groups: list[list[int]] = []
        for i in np.argsort(ew):
            if groups and abs(ew[i] - ew[groups[-1][-1]]) < 0.1 * max(abs(ew[i]), 1e-9):
                groups[-1].append(i)
            else:
                groups.append([i])
        while len(groups) > 1 and min(len(g) for g in groups) < 2:  # a rotation needs >= 2 dims
            j = min(range(len(groups)), key=lambda g: len(groups[g]))
            g = groups.pop(j)
            groups[max(0, j - 1) if j > 0 else 0].extend(g)
        for grp in groups:
            cols = F @ vw[:, grp]
            blocks.append((cols, "rotation free", float(gz[free_idx].max())))
        P = np.eye(k) - F @ F.T
        ev2, evec2 = np.linalg.eigh(P)
        comp = evec2[:, ev2 > 0.5]
    else:
        comp = np.eye(k)
    if comp.shape[1]:
        m_c = comp.T @ M @ comp
        ew, vw = np.linalg.eigh(m_c)
        axes = comp @ vw[:, ::-1]
        # gap of each fixed axis = its smallest gap to any other direction
        Lc = np.einsum("ia,tij,jb->tab", axes, Ln, axes)
        d = np.diagonal(Lc, axis1=1, axis2=2)
        # coupling graph: axes joined by any lagged covariance cannot flip sign independently
        coup = np.sqrt(np.sum(Lc**2 + np.transpose(Lc, (0, 2, 1)) ** 2, axis=0))
        n_ax = axes.shape[1]
        parent = list(range(n_ax))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for a in range(n_ax):
            for b in range(a + 1, n_ax):
                if coup[a, b] / np.sqrt(2) > couple_threshold:
                    parent[find(a)] = find(b)
        comps: dict[int, list[int]] = {}
        for a in range(n_ax):
            comps.setdefault(find(a), []).append(a)
        for members in comps.values():
            blocks.append((axes[:, members], "fixed up to sign", np.nan))
    # order blocks slowest first
    speed = [float(np.trace(c.T @ M @ c) / c.shape[1]) for c, _, _ in blocks]
    order = np.argsort(speed)[::-1]
    V_cols, subs, pos = [], [], 0
    for o in order:
        cols, status, gap = blocks[o]
        idx = tuple(range(pos, pos + cols.shape[1]))
        pos += cols.shape[1]
        V_cols.append(cols)
        if status == "rotation free":
            why = (f"the lagged covariances restricted to these {cols.shape[1]} latents commute with every "
                   f"rotation among them (e.g. rotational dynamics with isotropic noise): rest statistics "
                   f"cannot fix the rotation within this subspace")
        else:
            why = ("distinct lagged-covariance spectrum (distinct timescales / non-isotropic dynamics) "
                   "fixes these directions; second-order statistics never fix the sign z -> -z")
        subs.append(Subspace(latents=idx, status=status, why=why, gap_z=gap,
                             fixed_by="nothing in rest (needs anchors)" if status == "rotation free"
                             else "rest (lagged covariances)"))
    V = np.concatenate(V_cols, axis=1)
    # eigen gaps in noise units: a fixed block against every other direction; a free block within
    d = np.diagonal(np.einsum("ia,tij,jb->tab", V, Ln, V), axis1=1, axis2=2)
    for s in subs:
        if s.free:
            s.gap_z = float(gz[free_idx].max())
            continue
        others = [b for b in range(k) if b not in s.latents]
        s.gap_z = float(min((np.sqrt(np.sum((d[:, a] - d[:, b]) ** 2)) / 2 for a in s.latents for b in others),
                            default=np.inf))
    return V, subs
