"""Helpers for testing NWB readers: small pynwb-written example files and a byte-counting file object.

Not used by the reader itself; tests (this package's and the remote sources') import them.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

__all__ = ["write_example_nwb", "write_long_ephys_nwb", "CountingFile"]


class CountingFile(io.RawIOBase):
    """Wrap a binary file and count the bytes and calls of every ``read``/``readinto``.

    Examples
    --------
    >>> import io
    >>> cf = CountingFile(io.BytesIO(b"abcdef"))
    >>> _ = cf.read(4); cf.bytes_read, cf.reads
    (4, 1)
    """

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self.raw = raw
        self.bytes_read = 0
        self.reads = 0

    def reset(self) -> None:
        self.bytes_read = 0
        self.reads = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)
        self.reads += 1
        self.bytes_read += n or 0
        return n

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.reads += 1
        self.bytes_read += len(data)
        return data

    def close(self) -> None:
        self.raw.close()
        super().close()


def _nwbfile(**kw: Any):
    from pynwb import NWBFile
    from pynwb.file import Subject

    return NWBFile(
        session_description=kw.get("session_description", "glue_widgets test fixture"),
        identifier=kw.get("identifier", "gw-test-0001"),
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        session_id=kw.get("session_id", "ses-01"),
        lab=kw.get("lab", "arbor"),
        institution=kw.get("institution", "Test Institute"),
        subject=Subject(subject_id=kw.get("subject_id", "m01"), species=kw.get("species", "Mus musculus"),
                        sex="F", age="P90D"),
    )


def write_example_nwb(path: str | Path, *, seed: int = 0, ecog: bool = False) -> dict[str, Any]:
    """Write a small NWB file with every stream kind the reader handles; return the arrays written.

    Contents: ElectricalSeries in acquisition (chunked, int16 with conversion + channel_conversion),
    an LFP ElectricalSeries in ``processing/ecephys`` with explicit timestamps, calcium
    RoiResponseSeries under Fluorescence and DfOverF, units with locations and quality, Position
    (SpatialSeries), running speed and pupil diameter TimeSeries, epochs with tags, trials with a
    ``condition`` column and a custom ``stimuli`` TimeIntervals table with ``stimulus_name``.
    """
    from hdmf.backends.hdf5.h5_utils import H5DataIO
    from pynwb import NWBHDF5IO, TimeSeries
    from pynwb.behavior import BehavioralTimeSeries, PupilTracking, Position
    from pynwb.ecephys import LFP, ElectricalSeries
    from pynwb.epoch import TimeIntervals
    from pynwb.ophys import DfOverF, Fluorescence, ImageSegmentation, OpticalChannel

    rng = np.random.default_rng(seed)
    nwb = _nwbfile()
    dev = nwb.create_device("probe")
    desc = "ECoG subdural grid" if ecog else "tetrode"
    grp = nwb.create_electrode_group("shank0", description=desc, location="CA1", device=dev)
    for i in range(4):
        nwb.add_electrode(group=grp, location="CA1", x=float(i), y=0.0, z=0.0)
    region = nwb.create_electrode_table_region(list(range(4)), "all electrodes")
    fs = 1000.0
    raw = rng.integers(-2000, 2000, size=(20_000, 4)).astype(np.int16)
    chconv = np.array([1.0, 1.1, 0.9, 1.2], dtype=np.float32)
    es = ElectricalSeries(name="ElectricalSeries", data=H5DataIO(raw, chunks=(1000, 4)), electrodes=region,
                          rate=fs, starting_time=0.5, conversion=1e-6, offset=1e-3, channel_conversion=chconv)
    nwb.add_acquisition(es)
    lfp_t = np.cumsum(rng.uniform(0.0015, 0.0025, size=5000))
    lfp_d = rng.normal(size=(5000, 4)).astype(np.float32)
    ecephys = nwb.create_processing_module("ecephys", "processed ephys")
    lfp = LFP(electrical_series=ElectricalSeries(name="ElectricalSeries", data=lfp_d, electrodes=region,
                                                 timestamps=lfp_t))
    ecephys.add(lfp)

    ophys = nwb.create_processing_module("ophys", "optical physiology")
    img_plane = nwb.create_imaging_plane(
        name="plane", optical_channel=OpticalChannel("green", "green", 510.0), description="plane",
        device=dev, excitation_lambda=920.0, imaging_rate=30.0, indicator="GCaMP6f", location="V1")
    seg = ImageSegmentation()
    ps = seg.create_plane_segmentation("rois", img_plane, name="PlaneSegmentation")
    for i in range(5):
        mask = np.zeros((8, 8))
        mask[i, i] = 1.0
        ps.add_roi(image_mask=mask, id=100 + i)
    ophys.add(seg)
    rois = ps.create_roi_table_region("all rois", region=list(range(5)))
    dff = rng.normal(size=(900, 5)).astype(np.float32)
    fl = rng.normal(size=(900, 5)).astype(np.float32) + 5
    ophys.add(DfOverF(name="DfOverF"))
    ophys["DfOverF"].create_roi_response_series(name="RoiResponseSeries", data=dff, rois=rois, rate=30.0, unit="n.a.")
    ophys.add(Fluorescence(name="Fluorescence"))
    ophys["Fluorescence"].create_roi_response_series(name="RoiResponseSeries", data=fl, rois=rois, rate=30.0,
                                                     unit="a.u.")

    spikes = {}
    nwb.add_unit_column("location", "brain area")
    nwb.add_unit_column("quality", "sorting quality")
    for uid, loc in zip((7, 9, 11), ("V1", "V1", "V2")):
        t = np.sort(rng.uniform(0.0, 30.0, size=int(rng.integers(50, 300))))
        nwb.add_unit(spike_times=t, id=uid, location=loc, quality="good")
        spikes[str(uid)] = t

    behavior = nwb.create_processing_module("behavior", "behaviour")
    pos_t = np.arange(0, 30, 1 / 50.0)
    pos = rng.normal(size=(pos_t.size, 2))
    position = Position(name="Position")
    position.create_spatial_series(name="SpatialSeries", data=pos, timestamps=pos_t, reference_frame="arena",
                                   unit="meters")
    behavior.add(position)
    speed = np.abs(rng.normal(size=1500))
    bts = BehavioralTimeSeries(name="BehavioralTimeSeries")
    bts.add_timeseries(TimeSeries(name="running_speed", data=speed, rate=50.0, unit="m/s"))
    behavior.add(bts)
    pupil = rng.normal(size=600) + 3
    behavior.add(PupilTracking(time_series=TimeSeries(name="pupil_diameter", data=pupil, rate=20.0, unit="mm")))

    nwb.add_epoch(0.0, 10.0, ["spontaneous"])
    nwb.add_epoch(10.0, 25.0, ["task"])
    nwb.add_trial_column("condition", "stimulus condition")
    for i in range(4):
        nwb.add_trial(start_time=10.0 + 3 * i, stop_time=12.0 + 3 * i, condition=f"c{i % 2}")
    stim = TimeIntervals(name="stimuli", description="stimulus presentations")
    stim.add_column("stimulus_name", "what was shown")
    stim.add_interval(start_time=25.0, stop_time=26.0, stimulus_name="flash")
    stim.add_interval(start_time=27.0, stop_time=28.0, stimulus_name="grating")
    nwb.add_time_intervals(stim)
    with NWBHDF5IO(str(path), "w") as io_:
        io_.write(nwb)
    return {"ElectricalSeries": (raw, chconv), "lfp_t": lfp_t, "lfp": lfp_d, "dff": dff, "fl": fl,
            "spikes": spikes, "pos": pos, "pos_t": pos_t, "speed": speed, "pupil": pupil}


def write_long_ephys_nwb(path: str | Path, *, duration_s: float = 3600.0, fs: float = 250.0, n_channels: int = 16,
                         chunk_s: float = 1.0, seed: int = 0) -> dict[str, Any]:
    """Write an NWB file with one long chunked int16 ElectricalSeries (for read-counting tests).

    Written in one-second pieces through an iterator so memory stays small.
    """
    from hdmf.backends.hdf5.h5_utils import H5DataIO
    from hdmf.data_utils import GenericDataChunkIterator
    from pynwb import NWBHDF5IO
    from pynwb.ecephys import ElectricalSeries

    n = int(round(duration_s * fs))
    chunk_rows = int(round(chunk_s * fs))

    class _Iter(GenericDataChunkIterator):
        def _get_data(self, selection):
            rows = selection[0]
            r = np.arange(rows.start or 0, rows.stop)[:, None]
            c = np.arange(n_channels)[None, :]
            return ((r * 7 + c * 131) % 4001 - 2000).astype(np.int16)[:, selection[1]]

        def _get_maxshape(self):
            return (n, n_channels)

        def _get_dtype(self):
            return np.dtype("int16")

    nwb = _nwbfile(identifier="gw-long-0001")
    dev = nwb.create_device("probe")
    grp = nwb.create_electrode_group("shank0", description="silicon probe", location="CA1", device=dev)
    for _ in range(n_channels):
        nwb.add_electrode(group=grp, location="CA1")
    region = nwb.create_electrode_table_region(list(range(n_channels)), "all")
    it = _Iter(chunk_shape=(chunk_rows, n_channels), buffer_shape=(chunk_rows * 60, n_channels),
               display_progress=False)
    es = ElectricalSeries(name="ElectricalSeries", data=H5DataIO(it), electrodes=region, rate=fs,
                          conversion=1e-6)
    nwb.add_acquisition(es)
    with NWBHDF5IO(str(path), "w") as io_:
        io_.write(nwb)
    return {"n": n, "fs": fs, "n_channels": n_channels, "chunk_rows": chunk_rows,
            "chunk_bytes": chunk_rows * n_channels * 2}
