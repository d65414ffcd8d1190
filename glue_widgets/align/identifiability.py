"""What rest statistics fix, and what they leave free.

Rest alignment matches each session's whitened lagged covariances ``L(tau)`` to the reference's
with an orthogonal map. The maps that leave every ``L(tau)`` of the reference unchanged cannot be
told apart by the rest data; they are the *free* part of the frame:

* continuous freedoms: rotations ``exp(G)`` whose generator commutes with every ``L(tau)``
  (``[G, L] = 0``). A rotation plane with isotropic noise is the textbook case: its lagged
  covariances are ``r^tau R(theta tau)``, which commute with every in-plane rotation. We find them as
  the near-null space of the quadratic form ``sum_tau ||[G, L(tau)]||^2 / se_tau^2`` over ``so(k)``;
  its eigenvalues are squared, noise-scaled eigen gaps.
  The freedoms are resolved per plane (:func:`analyse_statistics`): rotation planes are found from
  the antisymmetric part of the lagged covariances, so two planes with different frequencies or
  damping are two SO(2) freedoms, never one lumped block; real directions are merged into an O(d)
  block only when their lagged covariances coincide within noise. The noise-scaled gap z of a truly
  free generator is not 0 but sits at a noise floor of about 2-3 (7 lags), so the default threshold
  4 separates "free" from "fixed" by a modest margin: directions with gaps of 3-6 are weakly fixed
  and anchors help there too.
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
    kind: str = "axis"       # "axis" | "plane" (SO(2) angle free) | "degenerate" (O(d) free)

    @property
    def dimension(self) -> int:
        return len(self.latents)

    @property
    def free(self) -> bool:
        return self.status == "rotation free"

    def as_dict(self) -> dict[str, Any]:
        return {"latents": self.latents, "dimension": self.dimension, "status": self.status, "kind": self.kind,
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
            kind = {"plane": " (SO(2) rotation plane)", "degenerate": f" (O({s.dimension}): near-equal timescales)"}
            lines.append(f"  latents {list(s.latents)} ({s.dimension}-D): {s.status}{kind.get(s.kind, '')}; "
                         f"gap z={s.gap_z:.1f}; "
                         f"fixed by {s.fixed_by}; "
                         + (f"sign fixed by {s.sign_fixed_by}. " if s.sign_fixed_by != "unresolved"
                            else "sign not fixed by rest or anchors. ") + s.why)
        if self.sessions:
            for r in self.sessions:
                lines.append(f"  session {r['session']}: " + "; ".join(r.get("notes", [])))
        lines.append("  anchors were " + ("used for: " + ", ".join(sorted({n for r in self.sessions
                                                                           for n in r.get('anchored', [])}))
                                          if self.anchors_used else "not used")
                     + (" — rest statistics alone leave freedom here" if self.needs_anchors else ""))
        return "\n".join(lines)

    __repr__ = __str__


def _gen(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unit-norm rotation generator in the plane of orthonormal ``u``, ``v``."""
    return (np.outer(v, u) - np.outer(u, v)) / np.sqrt(2)


def _comm_z(g: np.ndarray, Ln: np.ndarray) -> float:
    """Noise-scaled size of ``sum_tau ||[g, L(tau)]||^2``: 0 when the rotation leaves every L unchanged."""
    return float(np.sqrt(sum(np.sum((g @ L - L @ g) ** 2) for L in Ln)) / 2)


def _planes(Ln: np.ndarray, threshold: float) -> list[tuple[np.ndarray, float]]:
    """Candidate rotation planes: pairs of the antisymmetric lagged-covariance energy.

    A damped rotation shows as an antisymmetric part ``c(tau) J`` of the lagged covariances in its
    plane; ``P = sum_tau K(tau)^T K(tau)`` then has a degenerate eigen-pair on that plane. Returns
    ``(basis (k, 2), z_rot)`` with ``z_rot = sqrt(2 * eigenvalue)`` (noise floor about sqrt(n_lags)).
    """
    K = 0.5 * (Ln - np.transpose(Ln, (0, 2, 1)))
    P = np.einsum("tji,tjk->ik", K, K)
    ev, U = np.linalg.eigh(P)
    ev, U = ev[::-1], U[:, ::-1]
    out = []
    for j in range(0, len(ev) - 1, 2):
        z = float(np.sqrt(2 * max(ev[j + 1], 0.0)))
        if z < threshold:
            break
        out.append((U[:, j:j + 2], z))
    return out


def analyse_statistics(L: np.ndarray, se: np.ndarray, gap_threshold: float = 4.0,
                       couple_threshold: float = 4.0) -> tuple[np.ndarray, list[Subspace]]:
    """Canonical basis ``V`` (columns) of a reference's statistics and its subspace blocks.

    ``L`` (n_lags, k, k) whitened lagged covariances with per-lag standard errors ``se``. Blocks are
    ordered slowest first (largest summed autocorrelation); ``V`` maps whitened coordinates to
    canonical ones (``z = y @ V``).

    The freedoms are resolved per plane, not lumped together:

    1. rotation planes: eigen-pairs of the antisymmetric lagged-covariance energy (rotational
       dynamics) with antisymmetry z >= ``gap_threshold``. If the plane's lagged covariances are
       isotropic within it (in-plane generator gap z < ``gap_threshold``), only its SO(2) angle is
       free; rest fixes its handedness (the sense of rotation).
    2. the remaining directions: eigenvectors of the summed symmetric parts; two units (axes or free
       planes) are merged only when the rotation mixing them leaves the statistics unchanged within
       noise (gap z < ``gap_threshold``): nearly equal timescales. Such a merged block is free under
       O(d) (rotations and reflections).
    3. single axes are fixed up to sign; axes coupled by any lagged covariance share their sign.
    """
    n_lags, k, _ = L.shape
    Ln = L / se[:, None, None]
    M = np.sum(0.5 * (Ln + np.transpose(Ln, (0, 2, 1))), axis=0)
    units: list[tuple[np.ndarray, str, float]] = []  # (columns, kind, z)
    used = np.zeros((k, 0))
    for B, zr in _planes(Ln, gap_threshold):
        B = B - used @ (used.T @ B)
        B = np.linalg.qr(B)[0]
        z_in = _comm_z(_gen(B[:, 0], B[:, 1]), Ln)
        if z_in < gap_threshold:  # isotropic in the plane: its angle is free
            units.append((B, "plane", zr))
            used = np.concatenate([used, B], axis=1)
    if used.shape[1]:
        ev2, evec2 = np.linalg.eigh(np.eye(k) - used @ used.T)
        comp = evec2[:, ev2 > 0.5]
    else:
        comp = np.eye(k)
    if comp.shape[1]:
        ew, vw = np.linalg.eigh(comp.T @ M @ comp)
        axes = comp @ vw[:, ::-1]
        for a in range(axes.shape[1]):
            units.append((axes[:, [a]], "axis", np.nan))

    def unit_gap(a: int, b: int) -> float:
        Ua, Ub = units[a][0], units[b][0]
        return min(_comm_z(_gen(u, v), Ln) for u in Ua.T for v in Ub.T)

    nu = len(units)
    parent = list(range(nu))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    gaps = np.full((nu, nu), np.inf)
    for a in range(nu):
        for b in range(a + 1, nu):
            gaps[a, b] = gaps[b, a] = unit_gap(a, b)
            if gaps[a, b] < gap_threshold:
                parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for a in range(nu):
        groups.setdefault(find(a), []).append(a)
    blocks: list[tuple[np.ndarray, str, str, float, float]] = []  # (cols, status, kind, gap, plane z)
    single_axes: list[int] = []
    for members in groups.values():
        if len(members) == 1 and units[members[0]][1] == "axis":
            single_axes.append(members[0])
            continue
        cols = np.concatenate([units[m][0] for m in members], axis=1)
        if len(members) == 1:  # one isotropic rotation plane
            B = cols
            blocks.append((cols, "rotation free", "plane", _comm_z(_gen(B[:, 0], B[:, 1]), Ln),
                           units[members[0]][2]))
        else:
            inner = max(gaps[a, b] for a in members for b in members if a != b and gaps[a, b] < gap_threshold)
            blocks.append((cols, "rotation free", "degenerate", float(inner), np.nan))
    if single_axes:
        axes = np.concatenate([units[a][0] for a in single_axes], axis=1)
        # coupling graph: axes joined by any lagged covariance cannot flip sign independently
        Lc = np.einsum("ia,tij,jb->tab", axes, Ln, axes)
        coup = np.sqrt(np.sum(Lc**2 + np.transpose(Lc, (0, 2, 1)) ** 2, axis=0))
        n_ax = axes.shape[1]
        par = list(range(n_ax))

        def find2(i: int) -> int:
            while par[i] != i:
                par[i] = par[par[i]]
                i = par[i]
            return i

        for a in range(n_ax):
            for b in range(a + 1, n_ax):
                if coup[a, b] / np.sqrt(2) > couple_threshold:
                    par[find2(a)] = find2(b)
        comps: dict[int, list[int]] = {}
        for a in range(n_ax):
            comps.setdefault(find2(a), []).append(a)
        for mem in comps.values():
            blocks.append((axes[:, mem], "fixed up to sign", "axis", np.nan, np.nan))
    # order blocks slowest first
    speed = [float(np.trace(c.T @ M @ c) / c.shape[1]) for c, *_ in blocks]
    order = np.argsort(speed)[::-1]
    V_cols, subs, pos = [], [], 0
    for o in order:
        cols, status, kind, gap, zr = blocks[o]
        idx = tuple(range(pos, pos + cols.shape[1]))
        pos += cols.shape[1]
        V_cols.append(cols)
        if kind == "plane":
            why = (f"rotational dynamics in this plane (antisymmetric lagged covariance z={zr:.0f}) with "
                   f"isotropic noise: the lagged covariances commute with every in-plane rotation, so rest "
                   f"statistics cannot fix the rotation angle (an SO(2) freedom); they do fix the sense of "
                   f"rotation (no reflection)")
        elif kind == "degenerate":
            why = (f"nearly equal timescales: the rotations mixing these {cols.shape[1]} directions change "
                   f"the lagged covariances by less than their noise (gap z < {gap_threshold:g}), so rest "
                   f"cannot tell these directions apart (an O({cols.shape[1]}) freedom: rotations and signs)")
        else:
            why = ("distinct lagged-covariance spectrum (distinct timescales / non-isotropic dynamics) "
                   "fixes these directions; second-order statistics never fix the sign z -> -z")
        s = Subspace(latents=idx, status=status, why=why, gap_z=gap, kind=kind,
                     fixed_by="nothing in rest (needs anchors)" if status == "rotation free"
                     else "rest (lagged covariances)")
        subs.append(s)
    V = np.concatenate(V_cols, axis=1)
    # eigen gaps in noise units: a fixed block against every other direction; a free block within
    d = np.diagonal(np.einsum("ia,tij,jb->tab", V, Ln, V), axis1=1, axis2=2)
    for s in subs:
        if s.free:
            continue
        others = [b for b in range(k) if b not in s.latents]
        s.gap_z = float(min((np.sqrt(np.sum((d[:, a] - d[:, b]) ** 2)) / 2 for a in s.latents for b in others),
                            default=np.inf))
    return V, subs
