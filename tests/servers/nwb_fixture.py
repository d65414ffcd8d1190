"""Small chunked NWB files (ophys, ecephys, units) written with pynwb, > 10 minutes long."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

DURATION_S = 660.0


def _nwbfile(kind: str):
    from pynwb import NWBFile
    from pynwb.file import Subject

    f = NWBFile(session_description=f"glue_widgets streaming fixture ({kind})", identifier=f"gw-stream-{kind}",
                session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc), lab="stream lab",
                institution="nowhere", session_id=f"{kind}-1")
    f.subject = Subject(subject_id="m1", species="Mus musculus", sex="F", age="P90D")
    return f


def write_ecephys(path: Path, n_ch: int = 16, fs: float = 500.0) -> Path:
    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBHDF5IO
    from pynwb.ecephys import ElectricalSeries

    f = _nwbfile("ecephys")
    dev = f.create_device("probe")
    grp = f.create_electrode_group("shank0", description="shank", location="CA1", device=dev)
    for i in range(n_ch):
        f.add_electrode(group=grp, location="CA1", x=0.0, y=float(i), z=0.0)
    region = f.create_electrode_table_region(list(range(n_ch)), "all")
    n = int(DURATION_S * fs)
    rng = np.random.default_rng(1)
    data = (rng.normal(0, 300, (n, n_ch))).astype(np.int16)
    es = ElectricalSeries(name="ElectricalSeries", data=H5DataIO(data, chunks=(2000, n_ch)), electrodes=region,
                          rate=fs, starting_time=0.0, conversion=1e-6)
    f.add_acquisition(es)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(f)
    return path


def write_ophys(path: Path, n_roi: int = 30, fs: float = 30.0) -> Path:
    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBHDF5IO
    from pynwb.ophys import DfOverF, ImageSegmentation, OpticalChannel, RoiResponseSeries

    f = _nwbfile("ophys")
    dev = f.create_device("scope")
    oc = OpticalChannel("green", "green", 510.0)
    plane = f.create_imaging_plane("plane0", oc, description="V1 L2/3", device=dev, excitation_lambda=920.0,
                                   indicator="GCaMP6f", location="V1", imaging_rate=fs)
    mod = f.create_processing_module("ophys", "calcium")
    seg = ImageSegmentation()
    ps = seg.create_plane_segmentation("rois", plane, name="PlaneSegmentation")
    for i in range(n_roi):
        mask = np.zeros((16, 16))
        mask[i % 16, (3 * i) % 16] = 1
        ps.add_roi(image_mask=mask)
    mod.add(seg)
    rois = ps.create_roi_table_region("all", region=list(range(n_roi)))
    n = int(DURATION_S * fs)
    data = np.random.default_rng(2).gamma(1.0, 0.2, (n, n_roi)).astype(np.float32)
    rrs = RoiResponseSeries(name="dff", data=H5DataIO(data, chunks=(600, n_roi)), rois=rois, unit="n.a.",
                            rate=fs, starting_time=0.0)
    mod.add(DfOverF(rrs))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(f)
    return path


def write_units(path: Path, n_units: int = 40, rate_hz: float = 5.0) -> Path:
    from pynwb import NWBHDF5IO

    f = _nwbfile("units")
    rng = np.random.default_rng(3)
    f.add_unit_column("region", "brain area")
    for u in range(n_units):
        st = np.sort(rng.uniform(0, DURATION_S, rng.poisson(rate_hz * DURATION_S)))
        f.add_unit(spike_times=st, region="V1" if u % 2 else "V2")
    f.add_epoch(0.0, 300.0, ["spontaneous"])
    f.add_epoch(300.0, DURATION_S, ["task"])
    with NWBHDF5IO(str(path), "w") as io:
        io.write(f)
    # chunk the ragged spike-time vector after the fact (pynwb writes it contiguous)
    import h5py

    with h5py.File(path, "a") as h:
        d = h["units/spike_times"]
        data = d[()]
        attrs = dict(d.attrs)
        del h["units/spike_times"]
        nd = h["units"].create_dataset("spike_times", data=data, chunks=(8192,))
        for k, v in attrs.items():
            nd.attrs[k] = v
    return path


def write_all(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    return {"ecephys": write_ecephys(root / "sub-m1_ses-1_ecephys.nwb"),
            "ophys": write_ophys(root / "sub-m1_ses-1_ophys.nwb"),
            "units": write_units(root / "sub-m1_ses-1_units.nwb")}
