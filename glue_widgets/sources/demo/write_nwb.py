"""Write one simulated session as a real NWB file (pynwb): Subject, electrodes, Units, LFP, ophys,
behaviour, epochs, trials and an ``anchors`` TimeIntervals table. Regular series are chunked ~1 s
along time (uncompressed: build speed matters and noisy floats barely compress)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .corpus import LABS

__all__ = ["write_nwb", "AGES"]

AGES = {"mouse": "P90D", "rat": "P120D", "macaque": "P7Y"}
_SEX = {"m01": "M", "m02": "F", "b01": "F", "b02": "M", "k01": "M", "r01": "M"}


# Chunks of at least ~1 s and ~16 KiB: much smaller ones (a 1-s chunk of one 50-Hz behaviour trace is
# 200 bytes) make the B-tree index dominate what a streamed window reads.
_MIN_CHUNK_BYTES = 16 * 1024
_SPIKE_CHUNK = 4096  # spike_times elements per chunk (32 KiB): a window reads a slice of each unit


def _chunked(data: np.ndarray, fs: float):
    from hdmf.backends.hdf5 import H5DataIO

    row_bytes = data.dtype.itemsize * (1 if data.ndim == 1 else data.shape[1])
    rows = max(1, min(max(int(round(fs)), -(-_MIN_CHUNK_BYTES // row_bytes)), data.shape[0]))
    chunks = (rows,) if data.ndim == 1 else (rows, data.shape[1])
    return H5DataIO(data=data, chunks=chunks)


def _units_table(nwb, data: dict[str, Any], site_index: dict[str, int], n_sites: int, duration: float):
    """The Units table built from whole numpy columns (``add_unit`` converts every spike time one by one)."""
    from hdmf.common import DynamicTableRegion, ElementIdentifiers, VectorData, VectorIndex
    from pynwb.misc import Units

    ids, trains, elec, loc = [], [], [], []
    for region, r in data["regions"].items():
        for uid, times in zip(r["ids"], r["times"]):
            ids.append(int(uid))
            trains.append(np.asarray(times, np.float64))
            elec.append(site_index[region] + int(uid) % n_sites)
            loc.append(region)
    n = len(ids)
    from hdmf.backends.hdf5 import H5DataIO

    all_times = np.concatenate(trains)
    st = VectorData(name="spike_times", description="spike times (s)",
                    data=H5DataIO(all_times, chunks=(max(1, min(_SPIKE_CHUNK, all_times.size)),)))
    sti = VectorIndex(name="spike_times_index", data=np.cumsum([t.size for t in trains]).astype(np.int64), target=st)
    ev = DynamicTableRegion(name="electrodes", description="peak electrode of each unit",
                            data=np.asarray(elec, np.int64), table=nwb.electrodes)
    evi = VectorIndex(name="electrodes_index", data=np.arange(1, n + 1, dtype=np.int64), target=ev)
    oi = VectorData(name="obs_intervals", description="observation intervals",
                    data=np.tile([[0.0, float(duration)]], (n, 1)))
    oii = VectorIndex(name="obs_intervals_index", data=np.arange(1, n + 1, dtype=np.int64), target=oi)
    lc = VectorData(name="location", description="brain region of the unit", data=loc)
    return Units(name="units", description="sorted single units (synthetic)", id=ElementIdentifiers(name="id", data=np.asarray(ids, np.int64)),
                 columns=[st, sti, oi, oii, ev, evi, lc], resolution=1.0 / 30000.0)


def write_nwb(data: dict[str, Any], path: str | Path) -> Path:
    """Write the session ``data`` from :func:`.generate.generate_session` to ``path``."""
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.ecephys import LFP, ElectricalSeries
    from pynwb.epoch import TimeIntervals
    from pynwb.file import Subject
    from pynwb.ophys import DfOverF, ImageSegmentation, OpticalChannel, RoiResponseSeries

    spec = data["spec"]
    lab = LABS[spec.lab]
    fs = data["fs"]
    start = datetime(2024, 3, 4, 10, 0, tzinfo=timezone.utc) + timedelta(days=spec.day)
    nwb = NWBFile(
        session_description=(f"Synthetic demo session {spec.uri} of the glue_widgets virtual consortium: "
                             f"{lab['state']} rest and task epochs; {spec.modality}. Ground truth is stored "
                             "beside the corpus (gw.demo.truth) for evaluation only."),
        identifier=str(uuid.uuid5(uuid.NAMESPACE_URL, spec.uri)),
        session_start_time=start, file_create_date=[start],
        experimenter=list(lab["experimenter"]), lab=spec.lab, institution=lab["institution"],
        session_id=f"{spec.subject}-{spec.session}",
        experiment_description=f"{lab['apparatus']}. Generator {spec.generator} ({spec.family} latent dynamics).",
        keywords=["glue_widgets", "demo", "synthetic", spec.modality, spec.lab],
        source_script="glue_widgets.sources.demo", source_script_file_name="glue_widgets/sources/demo/write_nwb.py",
    )
    nwb.subject = Subject(
        subject_id=spec.subject, species=lab["species"], sex=_SEX.get(spec.subject, "U"),
        age=AGES[lab["species_common"]], description=f"virtual {lab['species_common']} of lab {spec.lab}",
    )

    # ---- epochs: labelled blocks (rest / task); label in tags and in a `label` column
    nwb.add_epoch_column(name="label", description="epoch label (rest state or task)")
    nwb.add_epoch_column(name="state", description="state definition / condition of the block")
    nwb.add_epoch_column(name="kind", description="block kind: rest or task")
    for (t0, t1, label, kind, state) in data["epochs"]:
        # one tag = the label: readers that join tags get the same label as the `label` column
        nwb.add_epoch(start_time=float(t0), stop_time=float(t1), tags=[label], label=label, state=state, kind=kind)
    if data["trials"]:
        nwb.add_trial_column(name="label", description="trial type")
        nwb.add_trial_column(name="target_angle", description="target direction (rad) of the 2-D movement")
        for (t0, t1, th) in data["trials"]:
            nwb.add_trial(start_time=float(t0), stop_time=float(t1), label="movement", target_angle=float(th))
    if data["anchors"]:
        ti = TimeIntervals(name="anchors", description="anchor events: repeats of one 1-s full-field flash")
        ti.add_column(name="label", description="event label")
        ti.add_column(name="stimulus", description="stimulus identity")
        for (t0, t1) in data["anchors"]:
            ti.add_row(start_time=float(t0), stop_time=float(t1), label="anchor", stimulus="flash")
        nwb.add_time_intervals(ti)

    # ---- behaviour
    beh = nwb.create_processing_module("behavior", "behavioural covariates")
    has_run = spec.lab in ("arbor", "birch", "elm")
    has_pupil = spec.lab in ("arbor", "birch", "cedar")
    ar = data["arousal"]
    if has_run:
        beh.add(TimeSeries(name="running_speed", data=_chunked(ar["running_speed"].astype(np.float32), fs),
                           unit="cm/s", rate=fs, starting_time=0.0,
                           description="running speed (wheel, treadmill or head speed)"))
    if has_pupil:
        beh.add(TimeSeries(name="pupil_diameter", data=_chunked(ar["pupil"].astype(np.float32), fs), unit="mm",
                           rate=fs, starting_time=0.0, description="pupil diameter from eye tracking"))
    beh.add(TimeSeries(name="velocity", data=_chunked(data["velocity"].astype(np.float32), fs), unit="a.u.",
                       rate=fs, starting_time=0.0,
                       description="2-D movement velocity (x, y): a linear readout of the latent state; "
                                   "behaviourally meaningful in task epochs"))

    # ---- electrodes + units
    if spec.modality == "spikes":
        dev = nwb.create_device(name="probe" if spec.lab != "cedar" else "utah_array",
                                description=lab["apparatus"])
        n_sites = 32 if spec.lab != "cedar" else 96
        site_index: dict[str, int] = {}
        row = 0
        groups = {}
        for region, _ in spec.regions:
            g = nwb.create_electrode_group(name=f"shank_{region}", description=f"electrodes in {region}",
                                           location=region, device=dev)
            groups[region] = g
            site_index[region] = row
            for i in range(n_sites):
                nwb.add_electrode(group=g, location=region, x=float(i % 4) * 20.0, y=float(i // 4) * 20.0, z=0.0)
                row += 1
        nwb.units = _units_table(nwb, data, site_index, n_sites, spec.duration)
        if spec.lfp_channels:
            per = max(1, spec.lfp_channels // len(spec.regions))
            rows = [site_index[reg] + 4 * i for reg, _ in spec.regions for i in range(per)][: spec.lfp_channels]
            region_ref = nwb.create_electrode_table_region(rows, "LFP channels")
            lfp = data["lfp"][:, : len(rows)]
            es = ElectricalSeries(name="LFP", data=_chunked(lfp, spec.lfp_fs), electrodes=region_ref,
                                  rate=spec.lfp_fs, starting_time=0.0, filtering="low-pass 100 Hz",
                                  description="local field potential (V)")
            ecephys = nwb.create_processing_module("ecephys", "processed extracellular electrophysiology")
            ecephys.add(LFP(electrical_series=es))

    # ---- calcium imaging
    if spec.modality == "calcium":
        region = spec.regions[0][0]
        r = data["regions"][region]
        mic = nwb.create_device(name="microscope", description="two-photon microscope (virtual)")
        ch = OpticalChannel(name="green", description="GCaMP emission", emission_lambda=510.0)
        plane = nwb.create_imaging_plane(
            name="plane0", optical_channel=ch, imaging_rate=fs, description=f"L2/3 {region}", device=mic,
            excitation_lambda=920.0, indicator=spec.extra.get("indicator", "GCaMP6f"), location=region,
            grid_spacing=[1.0, 1.0], grid_spacing_unit="micrometers", origin_coords=[0.0, 0.0],
            origin_coords_unit="micrometers",
        )
        oph = nwb.create_processing_module("ophys", "optical physiology")
        seg = ImageSegmentation()
        ps = seg.create_plane_segmentation(name="PlaneSegmentation", description="ROIs (synthetic)",
                                           imaging_plane=plane)
        for uid in r["ids"]:
            cx, cy = (int(uid) * 37) % 500 + 6, (int(uid) * 91) % 500 + 6
            pix = [(cx + dx, cy + dy, 1.0) for dx in range(-2, 3) for dy in range(-2, 3) if dx * dx + dy * dy <= 5]
            ps.add_roi(pixel_mask=pix, id=int(uid))
        oph.add(seg)
        rt = ps.create_roi_table_region(region=list(range(len(r["ids"]))), description="all ROIs")
        dff = DfOverF()
        dff.add_roi_response_series(RoiResponseSeries(
            name="RoiResponseSeries", data=_chunked(data["dff"], fs), rois=rt, unit="n.a.", rate=fs,
            starting_time=0.0, description="dF/F of each ROI"))
        oph.add(dff)

    path = Path(path)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path
