"""Translation on the demo corpus: communication rank, ECoG → EEG vs the physics baseline, transfer across days.

1. Reduced-rank regression (Semedo et al. 2019), rank by blocked 5-fold CV (smallest rank within 1 SE
   of the best), source → target area spike counts (√counts) in the rest segment, compared with the
   demo's true communication rank (truth read for evaluation only), at 40- and 100-ms bins; plain, with
   10 folds, with lags 0-1 as features, and with the session's arousal covariates (pupil, running)
   partialled out (`confounds=`), to diagnose the wrong ranks.
2. ECoG → EEG for the 3 human subjects: learned channel-to-channel ridge (α by blocked 5-fold CV)
   trained on the subject's rest run, tested on its checkerboard run; the same trained on the OTHER two
   subjects (leave-one-subject-out); the physics baseline (minimum-norm inverse of ECoG on a generic
   400-dipole cortical shell, MNE 3-shell sphere forward to EEG; needs only the electrode positions of
   the BIDS electrodes.tsv), raw and with one least-squares gain fitted on the training subjects; the
   transferable SourceSpaceEcogToEeg (per-subject minimum-norm onto the shared shell, ridge shared
   across subjects, α by leave-one-training-subject-out), trained on the other two subjects; and, for
   reference, the inverse/forward with the TRUE leadfields (oracle, evaluation only). The fair physics
   baseline ContactPhysicsEcogToEeg (dipoles under the contacts, depth-weighted minimum norm, settings
   chosen on the same training data as the learned model it is compared with); 95 % block-bootstrap
   intervals per subject and paired learned − physics differences.
3. Transfer table: V1 → V2 translator (rrr) trained on one day of mouse m01, tested on the others
   (units present on all days only).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _record import record  # noqa: E402

import glue_widgets as gw  # noqa: E402
from glue_widgets.translate import (EcogToEeg, ReducedRankRegression, Translator, physics_operator,  # noqa: E402
                                    transfer_table)
from glue_widgets.translate.cv import r2_per_target  # noqa: E402


def md_table(df) -> str:
    df = df.reset_index() if df.index.name or getattr(df.index, "names", [None])[0] else df
    cols = [str(c) for c in df.columns]
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def rest_window(s) -> tuple[float, float]:
    ep = s.epochs
    lab = ep.label.astype(str).str.lower()
    hit = ep[lab.str.contains("spontaneous") | lab.str.contains("rest")]
    row = hit.iloc[0] if len(hit) else ep.iloc[0]
    return float(row.start), float(row.stop)


def _binned_covariate(s, name, a, b, bw, n) -> np.ndarray:
    """Mean of a behavioural stream (e.g. pupil) in each of the ``n`` bins of width ``bw`` from ``a``."""
    y = s.read(name, a, b)
    k = np.clip(((y.time.values - a) // bw).astype(int), 0, n - 1)
    v = np.asarray(y.values, float).reshape(len(k), -1)
    cnt = np.maximum(np.bincount(k, minlength=n), 1)
    return np.column_stack([np.bincount(k, v[:, j], minlength=n) / cnt for j in range(v.shape[1])])


def rank_section():
    import pandas as pd

    rows = []
    uris = [u for u in gw.demo.list(include_real=False) if u.startswith(("demo://arbor/", "demo://cedar/"))]
    for uri in uris:
        truth = gw.demo.truth(uri).get("communication")
        if not truth:
            continue
        s = gw.open(uri)
        a, b = rest_window(s)
        for bw in (0.04, 0.1):
            x = s.read("units", a, b, bin_width=bw)
            reg = np.asarray(x.coords["region"].values).astype(str)
            src, tgt = sorted(set(reg), key=lambda r: (r != truth["source"], r))[:2]
            X, Y = np.sqrt(x.values[:, reg == src]), np.sqrt(x.values[:, reg == tgt])
            m = ReducedRankRegression(ranks=range(1, 11)).fit(X, Y)
            cv = m.cv_scores_.mean(axis=1)
            # diagnosis variants (each a method change, none reads the truth):
            m10 = ReducedRankRegression(ranks=range(1, 11), cv=10).fit(X, Y)  # more folds for the 1-SE rule
            mlag = ReducedRankRegression(ranks=range(1, 11)).fit(np.hstack([X[1:], X[:-1]]), Y[1:])  # lags 0, 1
            # arousal covariates the session records (pupil, running), binned like the spikes
            beh = [n for n in ("pupil_diameter", "running_speed") if n in s.streams]
            C = np.hstack([_binned_covariate(s, n, a, b, bw, len(X)) for n in beh])
            mc = ReducedRankRegression(ranks=range(1, 11)).fit(X, Y, confounds=C)
            cvc = mc.cv_scores_.mean(axis=1)
            t = int(truth["rank"])
            rows.append(dict(session=uri, areas=f"{src}→{tgt}", bin_ms=int(bw * 1000), n_bins=len(X), rank_true=t,
                             rank_cv=m.rank_, rank_cv10=m10.rank_, rank_lags01=mlag.rank_,
                             rank_confounds=mc.rank_, confounds="+".join(beh),
                             correct=m.rank_ == t, correct_confounds=mc.rank_ == t,
                             cv_r2_at_rank=float(cv.loc[m.rank_]), cv_r2_best=float(cv.max()),
                             cv_r2_confounds_at_rank=float(cvc.loc[mc.rank_])))
    return pd.DataFrame(rows)


def _positions(session, names) -> np.ndarray:
    """Contact positions (m, head frame) from the BIDS *_electrodes.tsv, in the order of ``names``."""
    el = {str(e["name"]): e for e in session.metadata.get("electrodes") or []}
    return np.array([[float(el[n][k]) for k in ("x", "y", "z")] for n in names])


def _basic_ci(point: float, reps: np.ndarray) -> tuple[float, float]:
    """Basic (reverse-percentile) 95 % bootstrap interval: corrects the first-order bias of R² under
    block resampling (a replicate's SST loses part of the between-block variance, its SSE does not)."""
    q_lo, q_hi = np.nanpercentile(reps, [2.5, 97.5])
    return 2 * point - q_hi, 2 * point - q_lo


def ecog_section():
    import pandas as pd

    from glue_widgets.sources.demo.forward import leadfields
    from glue_widgets.translate.cv import block_bootstrap_r2
    from glue_widgets.translate.ecog_eeg import ContactPhysicsEcogToEeg, SourceSpaceEcogToEeg

    subs = {"01": "left", "02": "right", "03": "left"}
    cache = Path(os.environ.get("GLUE_CACHE_DIR", Path.home() / ".cache" / "glue_widgets")) / "demo"
    lf = leadfields(list(subs.items()), cache_dir=str(cache))  # TRUE leadfields: the oracle reference only
    data, pos = {}, {}
    for s in subs:
        for task in ("rest", "checkerboard"):
            si, se = gw.open(f"demo://delta/sub-{s}/{task}/ieeg"), gw.open(f"demo://delta/sub-{s}/{task}/eeg")
            x, y = si.read("ecog"), se.read("eeg")
            data[s, task] = (x, y)
        # geometry a real user has: the BIDS electrodes.tsv of the iEEG and EEG runs
        ecog_names = [str(c) for c in x.channel.values]
        eeg_names = [str(c) for c in y.channel.values]
        pos[s] = (_positions(si, ecog_names), _positions(se, eeg_names), eeg_names)
    ops = {s: physics_operator(*pos[s]) for s in subs}
    A = lambda d: np.asarray(d, float)  # noqa: E731
    rows, settings, diffs = [], {}, []
    for s in subs:
        Xt, Yt = data[s, "checkerboard"]
        xt, yt = A(Xt), A(Yt)
        others = [o for o in subs if o != s]
        res = {}
        m = EcogToEeg().fit(*data[s, "rest"])
        res["learned-channel (same subject, rest → checkerboard run)"] = (m.predict(xt), m.coverage(xt, yt, 0.9))
        mo = EcogToEeg().fit(np.vstack([A(data[o, "rest"][0]) for o in others]),
                             np.vstack([A(data[o, "rest"][1]) for o in others]))
        res["learned-channel (old; other subjects, held-out subject)"] = (mo.predict(xt), mo.coverage(xt, yt, 0.9))
        same = [o for o in others if subs[o] == subs[s]]  # grid on the same hemisphere (electrode metadata)
        if same:
            ms = EcogToEeg().fit(np.vstack([A(data[o, "rest"][0]) for o in same]),
                                 np.vstack([A(data[o, "rest"][1]) for o in same]))
            res["learned-channel (other subjects with the grid on the same hemisphere, held-out subject)"] = (
                ms.predict(xt), ms.coverage(xt, yt, 0.9))
        pt = xt @ ops[s]["M"]
        res["physics (MNE sphere, min-norm, generic shell)"] = (pt, float("nan"))
        # fairest physics: one least-squares amplitude scale, fitted on the TRAINING subjects' rest runs
        P = [A(data[o, "rest"][0]) @ ops[o]["M"] for o in others]
        scale = sum(float((p * A(data[o, "rest"][1])).sum()) for p, o in zip(P, others)) / sum(float((p * p).sum()) for p in P)
        res["physics-scaled (1 LS gain from training subjects)"] = (scale * pt, float("nan"))
        train = [(data[o, "rest"][0], data[o, "rest"][1], pos[o][0]) for o in others]
        for mirror in (False, True):
            mt = SourceSpaceEcogToEeg(mirror=mirror).fit(train, pos[s][1], pos[s][2])
            name = "source-space learned (new; other subjects, held-out subject)" + (" + mirror copies" if mirror else "")
            res[name] = (mt.predict(xt, pos[s][0]), float("nan"))
            settings[f"sub-{s}{'/mirror' if mirror else ''}"] = dict(alpha=mt.alpha_, loso_cv_r2=mt.cv_["cv_r2_mean"])
        settings[f"sub-{s}/physics_scale"] = scale
        # fair physics: dipoles under the contacts; depth/margin/depth weighting/λ² chosen on training data only
        pc = ContactPhysicsEcogToEeg().fit(train, pos[s][1], pos[s][2])
        res[PC_OTHERS] = (pc.predict(xt, pos[s][0]), float("nan"))
        own = [(data[s, "rest"][0], data[s, "rest"][1], pos[s][0])]
        pco = ContactPhysicsEcogToEeg().fit(own, pos[s][1], pos[s][2])
        res[PC_SAME] = (pco.predict(xt, pos[s][0]), float("nan"))
        for key, mm in ((f"sub-{s}/physics_contact(others)", pc), (f"sub-{s}/physics_contact(same)", pco)):
            settings[key] = {k: mm.cv_[k] for k in ("depth", "margin", "depth_exp", "lambda2", "train_r2")}
        Ge, Gg = lf[s]["ieeg"], lf[s]["eeg"]  # TRUE leadfields: evaluation reference only
        GGt = Ge @ Ge.T
        K = Ge.T @ np.linalg.inv(GGt + (1 / 9) * np.trace(GGt) / len(GGt) * np.eye(len(GGt)))
        res["oracle physics (true leadfields, reference)"] = (xt @ (Gg @ K).T, float("nan"))
        # uncertainty: 24 contiguous 10-s blocks of the 240-s test run, 2000 paired bootstrap replicates
        reps = block_bootstrap_r2(yt, {k: np.asarray(v[0]) for k, v in res.items()}, n_blocks=24, n_boot=2000,
                                  seed=int(s))
        for name, (pred, cov) in res.items():
            pred = np.asarray(pred)
            r2 = r2_per_target(yt, pred)
            corr = [np.corrcoef(p, q)[0, 1] for p, q in zip(pred.T, yt.T)]
            lo, hi = _basic_ci(float(np.nanmean(r2)), reps[name])
            rows.append(dict(subject=f"sub-{s}", method=name, r2_mean=float(np.nanmean(r2)),
                             r2_ci95=f"[{lo:.3f}, {hi:.3f}]", r2_median=float(np.nanmedian(r2)),
                             corr_mean=float(np.nanmean(corr)), coverage_90=cov))
        for a, b in COMPARISONS:
            d = reps[a] - reps[b]
            point = float(np.nanmean(r2_per_target(yt, np.asarray(res[a][0])))
                          - np.nanmean(r2_per_target(yt, np.asarray(res[b][0]))))
            lo, hi = _basic_ci(point, d)
            diffs.append(dict(subject=f"sub-{s}", learned=a, physics=b, r2_diff=point,
                diff_ci95=f"[{lo:.3f}, {hi:.3f}]", p_boot_le0=float((d <= 0).mean()),
                learned_better=bool(lo > 0), physics_better=bool(hi < 0)))
    return pd.DataFrame(rows), settings, pd.DataFrame(diffs)


SS_LEARNED = "source-space learned (new; other subjects, held-out subject)"
PC_OTHERS = "physics-contact (dipoles under the contacts; settings from the other subjects' rest)"
PC_SAME = "physics-contact (dipoles under the contacts; settings from the same subject's rest run)"
COMPARISONS = [  # (learned, physics) on the same training data
    (SS_LEARNED, PC_OTHERS),
    ("learned-channel (same subject, rest → checkerboard run)", PC_SAME),
    (SS_LEARNED, "physics (MNE sphere, min-norm, generic shell)"),
]


def transfer_section():
    import pandas as pd

    uris = [f"demo://arbor/m01/day{d}" for d in range(4)]
    reads = {}
    for u in uris:
        s = gw.open(u)
        a, b = rest_window(s)
        reads[u.rsplit("/", 1)[1]] = s.read("units", a, b, bin_width=0.04)

    def frag(x, common):
        ch = np.asarray(x.channel.values).astype(str)
        reg = np.asarray(x.coords["region"].values).astype(str)
        v1 = [c for c, r in zip(ch, reg) if r == "V1" and c in common]
        v2 = [c for c, r in zip(ch, reg) if r == "V2" and c in common]
        return (np.sqrt(x.sel(channel=v1).values), np.sqrt(x.sel(channel=v2).values)), len(v1), len(v2)

    rows = []
    # each pair (day0, dayk) on the units present on both days (neuron turnover 25/50/75 %)
    for k in ("day1", "day2", "day3"):
        common = set(map(str, reads["day0"].channel.values)) & set(map(str, reads[k].channel.values))
        (f0, n1, n2), (fk, _, _) = frag(reads["day0"], common), frag(reads[k], common)
        df = transfer_table(Translator("rrr"), {"day0": f0, k: fk}, pairs=[("day0", "day0"), ("day0", k), (k, k)])
        df["V1_units"], df["V2_units"] = n1, n2
        rows.append(df)
    return pd.concat(rows, ignore_index=True).drop_duplicates(subset=["train", "test", "V1_units"])


def calcium_section():
    """infer_spikes on the demo's calcium (GCaMP6f model, 30 Hz) against its true spikes."""
    import pandas as pd

    from glue_widgets.translate import infer_spikes

    rows = []
    for uri in ("demo://birch/b01/s1", "demo://birch/b02/s1"):
        s = gw.open(uri)
        name = [n for n, i in s.streams.items() if i.modality == "calcium"][0]
        x = s.read(name)
        truth = gw.demo.truth(uri)["true_spike_counts"].sel(channel=x.channel.values).values
        n = min(len(x), len(truth))
        for method in ("supervised", "oasis"):
            t0 = time.process_time()
            est = np.asarray(infer_spikes(x, float(x.attrs["fs"]), method=method))[:n]
            cpu = time.process_time() - t0
            for k, label in ((3, "100 ms"), (6, "200 ms")):
                m = n // k * k
                a = est[:m].reshape(-1, k, est.shape[1]).sum(1)
                b = truth[:m].reshape(-1, k, truth.shape[1]).sum(1)
                r = [np.corrcoef(a[:, j], b[:, j])[0, 1] for j in range(a.shape[1]) if b[:, j].std() > 0]
                rows.append(dict(session=uri, method=method, bin=label, rois=len(r), r_median=float(np.median(r)),
                                 roi_seconds_per_cpu_s=n * x.shape[1] / float(x.attrs["fs"]) / cpu))
    return pd.DataFrame(rows)


def rank_counts(r, bw: int) -> str:
    """'Correct at … bins' line: how often each variant's CV rank equals the demo's true rank."""
    ok = {k: int((r[k] == r.rank_true).sum()) for k in ("rank_cv", "rank_cv10", "rank_lags01", "rank_confounds")}
    n = len(r)
    return (f"Correct at {bw}-ms bins: plain {ok['rank_cv']}/{n}, 10-fold {ok['rank_cv10']}/{n}, lags 0-1 "
            f"{ok['rank_lags01']}/{n}, arousal partialled out {ok['rank_confounds']}/{n}.")


def main() -> None:
    t0 = time.time()
    ranks = rank_section()
    print(ranks, flush=True)
    ecog, ecog_settings, diffs = ecog_section()
    print(ecog, diffs, flush=True)
    tt = transfer_section()
    print(tt, flush=True)
    cal = calcium_section()
    print(cal, flush=True)

    summ = ecog.pivot_table(index="method", values=["r2_mean", "corr_mean"], aggfunc="mean")
    base = ecog[ecog.method.str.startswith("physics (")].set_index("subject")
    scaled = ecog[ecog.method.str.startswith("physics-scaled")].set_index("subject")
    pco = ecog[ecog.method == PC_OTHERS].set_index("subject")
    pcs = ecog[ecog.method == PC_SAME].set_index("subject")

    def win(a, col):
        return f"{int((a[col] > base.loc[a.index, col]).sum())}/{len(a)} vs physics, " \
               f"{int((a[col] > scaled.loc[a.index, col]).sum())}/{len(a)} vs physics-scaled, " \
               f"{int((a[col] > pco.loc[a.index, col]).sum())}/{len(a)} vs physics-contact (others), " \
               f"{int((a[col] > pcs.loc[a.index, col]).sum())}/{len(a)} vs physics-contact (same)"

    verdicts = []
    for name in dict.fromkeys(ecog.method):
        if name.startswith(("learned", "source-space")):
            a = ecog[ecog.method == name].set_index("subject")
            verdicts.append(f"- **{name}** beats: R² {win(a, 'r2_mean')}; correlation {win(a, 'corr_mean')}.")
    def fmt_setting(v):
        if isinstance(v, float):
            return f"{v:.2f}"
        if "alpha" in v:
            return f"α={v['alpha']:.3g}, LOSO-CV R² on training subjects {v['loso_cv_r2']:.3f}"
        return (f"depth {v['depth'] * 1000:.0f} mm, margin {v['margin'] * 1000:.0f} mm, depth weighting "
                f"{v['depth_exp']:g}, λ²={v['lambda2']:.3g}, training R² {v['train_r2']:.3f}")

    sett = "; ".join(f"{k}: {fmt_setting(v)}" for k, v in ecog_settings.items())
    n_dw = {k: int(diffs[diffs.physics == k].learned_better.sum()) for k in (PC_OTHERS, PC_SAME)}
    n_dl = {k: int(diffs[diffs.physics == k].physics_better.sum()) for k in (PC_OTHERS, PC_SAME)}
    md = [
        "### 1. Communication rank (reduced-rank regression, blocked 5-fold CV, 1-SE rule, √counts, rest segment)",
        "", "rank_cv = plain (as before); rank_cv10 = 10 folds; rank_lags01 = source at lags 0 and 1 bin as "
        "features; rank_confounds = the session's arousal covariates (pupil diameter, running speed where "
        "recorded; mean per bin) partialled out of both areas first (`fit(X, Y, confounds=C)`). The truth "
        "(demo's communication rank) is read for scoring only.", "", md_table(ranks), "",
        *[rank_counts(ranks[ranks.bin_ms == bw], bw) for bw in (40, 100)], "",
        f"Wrong plain ranks: {int((~ranks.correct).sum())}, of which "
        f"{int(((ranks.rank_cv - ranks.rank_true) == 1)[~ranks.correct].sum())} one too high. "
        "Diagnosis: in the demo (as in cortex) arousal modulates both areas; "
        "that shared input is a real predictive dimension from source to target but not part of the "
        "communication subspace. It is slow (τ ≈ 15 s), so wider bins average away Poisson noise and it "
        "clears the 1-SE bar more often at 100 ms than at 40 ms. The other two suspects do not explain it: "
        "10 folds move the verdict both ways (counts above), and lags as features add dimensions that "
        "pass the bar (the demo's 2-sample lag at 25 Hz is 80 ms, inside one 100-ms bin or the next, but "
        "lag mixing does not raise the rank of a linear map of the source). Partialling out the measured "
        "arousal covariates removes the extra dimension at both bin widths: a confound problem, not a "
        "CV-scheme problem. The confound-adjusted rank is the communication rank when arousal is recorded.", "",
        "### 2. ECoG → EEG (32 ECoG → 32 EEG, 200 Hz broadband, no filter, lags 0; test = the held-out "
        "subject's checkerboard run, 240 s; training = rest runs, 600 s each; R² and Pearson r per EEG channel, "
        "mean over channels)", "",
        "Leave-one-subject-out (LOSO): 'other subjects' = trained on the two other subjects' rest runs only. "
        "Geometry = the BIDS electrodes.tsv positions (ECoG contacts, EEG cap), as a real user has them. "
        "learned-channel = ridge ECoG channel → EEG channel (α by blocked 5-fold CV); physics = minimum-norm "
        "inverse of the ECoG on a generic 400-dipole cortical shell + MNE 3-shell sphere forward to EEG "
        "(λ² = 1/9); physics-scaled = physics × one least-squares gain fitted on the training subjects' rest "
        "runs; source-space learned = `SourceSpaceEcogToEeg`: each subject's ECoG → minimum-norm estimate on the "
        "same generic shell from its own contact positions, then one ridge (shell sources → EEG channels) "
        "shared across subjects, α chosen by leave-one-training-subject-out CV; '+ mirror copies' also trains "
        "on left-right mirrored training subjects. The oracle uses the demo's true leadfields (evaluation "
        "reference, not a method).", "",
        "**physics-contact** = `ContactPhysicsEcogToEeg`, the fair physics baseline: MNE 3-shell sphere fitted "
        "to the EEG electrode positions; radial dipoles below each ECoG contact (depth ∈ {4, 12} mm) plus "
        "optionally dipoles on the same sphere within a margin ∈ {0, 20, 40, 80} mm around the grid (7-mm "
        "spacing); EEG leadfield by `mne.make_forward_solution` on that discrete source space; ECoG leadfield "
        "of a dipole in an infinite conductor (σ = 0.33 S/m); minimum-norm inverse with depth weighting ∈ "
        "{0, 0.8} and λ² ∈ 10^[-3..1] (9 values). Those four scalars (no weights) are chosen by the EEG R² on "
        "the training recordings only: the other subjects' rest runs (LOSO, the same data as the source-space "
        "learned model) or the subject's own rest run (the same data as learned-channel same-subject). The "
        "demo's truth file is not read.", "",
        "r2_ci95 = 95 % block-bootstrap interval of the mean-over-channels R² (test run cut into 24 "
        "contiguous 10-s blocks, 2000 replicates, the same draws for every method; basic (reverse-"
        "percentile) interval, because resampled R² is biased low when block means differ).", "",
        md_table(ecog), "", "Mean over subjects:", "", md_table(summ.reset_index()), "", *verdicts, "",
        "**Learned vs physics on the same training data, paired block bootstrap** (difference of mean R², "
        "learned − physics; 95 % interval; p_boot_le0 = fraction of replicates with difference ≤ 0):", "",
        md_table(diffs), "",
        f"Learned resolved better than physics-contact (95 % interval above 0): "
        f"{n_dw[PC_OTHERS]}/3 held-out subjects for source-space learned vs physics-contact (LOSO settings), "
        f"{n_dw[PC_SAME]}/3 for learned-channel vs physics-contact (same-subject settings); physics resolved "
        f"better: {n_dl[PC_OTHERS]}/3 and {n_dl[PC_SAME]}/3.", "",
        "Why the fair physics stays weak here (interpretation, checked against the oracle row): the demo's "
        "activity comes from six focal dipoles, none under the grid; a contact beyond ~19° of a radial "
        "dipole 4 mm deeper sees it with inverted polarity, so dipoles under the contacts explain it with "
        "the wrong sign unless the margin and depth weighting reach it, and the four settings chosen on "
        "other subjects (whose grids see other sources; training R² ≈ 0) do not transfer. With the true "
        "leadfields (oracle row) the same minimum-norm chain reaches R² ≈ 0.4–0.5, so the chain is sound and "
        "the source prior is what limits physics. Of the learned mappings, source-space learned (new subject) "
        "and learned-channel (same subject) beat every physics variant (table of verdicts above); the old "
        "channel-to-channel mapping applied to a new subject does not.", "",
        f"Chosen settings per held-out subject: {sett}.", "",
        "coverage_90 = fraction of held-out EEG samples inside the 90 % prediction interval (from out-of-fold "
        "CV residuals of the training run).", "",
        "### 3. Transfer across days (mouse m01, V1 → V2 rrr, √counts in 40-ms bins, rest segment; each pair on "
        "the units present on both days; 'within' = blocked 5-fold CV R² on the training day)", "",
        md_table(tt.drop(columns=["cv"])), "",
        "### 4. Calcium → spikes on the demo's calcium sessions (30 Hz, whole session, all ROIs; Pearson r per ROI "
        "with the true spikes, median; the demo indicator model is not the training data of the shipped model)", "",
        md_table(cal), "", f"Total benchmark time {time.time() - t0:.0f} s.",
    ]
    record("translate", "\n".join(md), dict(ranks=ranks.to_dict("records"), ecog=ecog.to_dict("records"),
                                            ecog_settings=ecog_settings, ecog_diffs=diffs.to_dict("records"),
                                            transfer=tt.to_dict("records"), calcium=cal.to_dict("records")))


if __name__ == "__main__":
    main()
