"""Format corners checked against MNE: 24-bit BDF, BrainVision INT_16 and VECTORIZED, mixed EDF rates."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.sources.eegformats import EDFHeader, parse_edf_annotations
from glue_widgets.sources.rangefile import LocalRangeSource

mne = pytest.importorskip("mne")


def _field(values, width):
    return b"".join(str(v).encode("latin-1")[:width].ljust(width) for v in values)


def write_edf_like(path, signals, fs_list, record_s=1.0, bdf=False, units="uV"):
    """A minimal EDF (16-bit) or BDF (24-bit) file; ``signals`` are digital ints per channel."""
    ns = len(signals)
    spr = [int(fs * record_s) for fs in fs_list]
    n_rec = min(len(s) // n for s, n in zip(signals, spr))
    dmin, dmax = (-8388608, 8388607) if bdf else (-32768, 32767)
    head = (b"\xffBIOSEMI" if bdf else b"0".ljust(8)) + b"X".ljust(80) + b"Y".ljust(80) + b"01.01.24" + \
        b"00.00.00" + str(256 * (ns + 1)).encode().ljust(8) + (b"24BIT" if bdf else b"").ljust(44) + \
        str(n_rec).encode().ljust(8) + str(record_s).encode().ljust(8) + str(ns).encode().ljust(4)
    head += _field([f"EEG C{i}" for i in range(ns)], 16) + _field([""] * ns, 80) + _field([units] * ns, 8)
    head += _field([-3276.8] * ns, 8) + _field([3276.7] * ns, 8) + _field([dmin] * ns, 8) + _field([dmax] * ns, 8)
    head += _field([""] * ns, 80) + _field(spr, 8) + _field([""] * ns, 32)
    body = bytearray()
    for r in range(n_rec):
        for s, n in zip(signals, spr):
            seg = np.asarray(s[r * n:(r + 1) * n], np.int32)
            if bdf:
                u = (seg & 0xFFFFFF).astype("<u4")
                body += np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], 1).astype(np.uint8).tobytes()
            else:
                body += seg.astype("<i2").tobytes()
    path.write_bytes(head + bytes(body))
    return path


def _mne(path, names, start, stop):
    raw = mne.io.read_raw(str(path), verbose="error")
    fs = raw.info["sfreq"]
    return raw.get_data(picks=list(names), start=int(np.ceil(start * fs)), stop=int(np.ceil(stop * fs))).T


def test_bdf_24bit_equals_mne(tmp_path):
    rng = np.random.default_rng(0)
    sig = [rng.integers(-8388608, 8388607, 256 * 20) for _ in range(3)]
    p = write_edf_like(tmp_path / "x.bdf", sig, [256.0] * 3, bdf=True)
    s = gw.open(str(p))
    x = s.read("eeg", 1.3, 17.2)
    np.testing.assert_allclose(x.values, _mne(p, x.channel.values, 1.3, 17.2), rtol=1e-12, atol=0)
    assert x.values.min() < 0 < x.values.max()  # sign extension of 24-bit values


def test_edf_mixed_rates_get_their_own_stream(tmp_path):
    rng = np.random.default_rng(1)
    sig = [rng.integers(-32768, 32767, 200 * 10), rng.integers(-32768, 32767, 100 * 10)]
    p = write_edf_like(tmp_path / "m.edf", sig, [200.0, 100.0])
    s = gw.open(str(p))
    assert {n: i.fs for n, i in s.streams.items()} in ({"eeg": 200.0, "eeg_100hz": 100.0},
                                                       {"eeg": 100.0, "eeg_200hz": 200.0})
    h = EDFHeader.parse(LocalRangeSource(str(p)), str(p))
    d, t = h.read(LocalRangeSource(str(p)), [1], 2.0, 3.0)
    assert d.shape == (100, 1) and t[0] == pytest.approx(2.0)


def _write_bv(tmp_path, data_int, fs, orientation, fmt="INT_16", res=0.5):
    n_ch, n = data_int.shape
    names = [f"E{i}" for i in range(n_ch)]
    vhdr = ["Brain Vision Data Exchange Header File Version 1.0", "", "[Common Infos]", "Codepage=UTF-8",
            "DataFile=x.eeg", "MarkerFile=x.vmrk", "DataFormat=BINARY", f"DataOrientation={orientation}",
            f"NumberOfChannels={n_ch}", f"SamplingInterval={1e6 / fs:g}", "", "[Binary Infos]",
            f"BinaryFormat={fmt}", "", "[Channel Infos]"]
    vhdr += [f"Ch{i + 1}={nm},,{res},µV" for i, nm in enumerate(names)]
    (tmp_path / "x.vhdr").write_text("\n".join(vhdr) + "\n", encoding="utf-8")
    (tmp_path / "x.vmrk").write_text(
        "Brain Vision Data Exchange Marker File Version 1.0\n\n[Common Infos]\nCodepage=UTF-8\nDataFile=x.eeg\n\n"
        "[Marker Infos]\nMk1=New Segment,,1,1,0\nMk2=Stimulus,S  1,501,1,0\nMk3=Comment,eyes closed,1001,250,0\n",
        encoding="utf-8")
    dtype = {"INT_16": "<i2", "INT_32": "<i4", "IEEE_FLOAT_32": "<f4"}[fmt]
    arr = data_int.T if orientation == "MULTIPLEXED" else data_int
    (tmp_path / "x.eeg").write_bytes(np.ascontiguousarray(arr).astype(dtype).tobytes())
    return tmp_path / "x.vhdr"


@pytest.mark.parametrize("orientation", ["MULTIPLEXED", "VECTORIZED"])
@pytest.mark.parametrize("fmt", ["INT_16", "INT_32", "IEEE_FLOAT_32"])
def test_brainvision_layouts_equal_mne(tmp_path, orientation, fmt):
    data = np.random.default_rng(2).integers(-3000, 3000, (4, 500 * 12))
    p = _write_bv(tmp_path, data, 500.0, orientation, fmt)
    s = gw.open(str(p))
    x = s.read("eeg", 2.25, 9.1)
    np.testing.assert_allclose(x.values, _mne(p, x.channel.values, 2.25, 9.1), rtol=1e-12, atol=1e-18)
    ep = s.epochs
    ann = mne.io.read_raw(str(p), verbose="error").annotations
    np.testing.assert_allclose(ep.stop - ep.start, ann.duration)
    assert list(ep.label) == list(ann.description)
    assert list(ep.label) == ["Stimulus/S  1", "Comment/eyes closed"]
    assert ep.start.tolist() == pytest.approx([1.0, 2.0]) and ep.stop.iloc[1] == pytest.approx(2.0 + 250 / 500)


def test_tal_parsing():
    tal = b"+0\x14\x14\x00+1.5\x1512\x14rest eyes closed\x14\x00+20\x14go\x14stop\x14\x00\x00\x00"
    out = parse_edf_annotations(tal)
    assert out[0] == (0.0, 0.0, ["", ""]) or out[0][0] == 0.0
    assert (1.5, 12.0, ["rest eyes closed"]) in out
    assert (20.0, 0.0, ["go", "stop"]) in out
