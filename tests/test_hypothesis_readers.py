"""Property-based tests of the format readers with generated bad files (issue #20): random bytes as EDF,
BDF, BrainVision, EEGLAB and NWB files; valid EDF and BrainVision headers with one field replaced;
valid NWB files truncated at a random length.

Property: ``gw.open`` and a read of every stream give a valid result or a ``GlueError``.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

import glue_widgets as gw
from tests.support.hypo import fast, outcome

pytestmark = pytest.mark.timeout(240)


def _open_and_read_all(path):
    ok, s = outcome(gw.open, str(path))
    if not ok:
        return
    try:
        for name, info in s.streams.items():
            stop = info.start_s + min(info.duration_s, 5.0) if np.isfinite(info.duration_s) else None
            ok, x = outcome(s.read, name, None, stop)
            if ok:
                assert isinstance(x, xr.DataArray) and x.dims == ("time", "channel")
        outcome(lambda: s.epochs)
    finally:
        s.close()


@fast(40)
@given(suffix=st.sampled_from([".edf", ".bdf", ".vhdr", ".set", ".nwb"]), raw=st.binary(max_size=3000),
       prefix=st.sampled_from([b"", b"0       ", b"\xffBIOSEMI", b"\x89HDF\r\n\x1a\n",
                               b"Brain Vision Data Exchange Header File Version 1.0\n[Common Infos]\n"]))
def test_random_bytes_as_a_recording(tmp_path_factory, suffix, raw, prefix):
    d = tmp_path_factory.mktemp("rnd")
    path = d / f"x{suffix}"
    path.write_bytes(prefix + raw)
    _open_and_read_all(path)


# -- valid headers with one field replaced ------------------------------------------------------------

EDF_FIELDS = {  # name: (offset, width) in the fixed part of a 2-signal header, then per-signal fields
    "version": (0, 8), "header_bytes": (184, 8), "reserved": (192, 44), "n_records": (236, 8),
    "record_s": (244, 8), "n_signals": (252, 4),
}
SIG_FIELDS = {"label": 16, "transducer": 80, "unit": 8, "pmin": 8, "pmax": 8, "dmin": 8, "dmax": 8,
              "prefilter": 80, "samples": 8, "sreserved": 32}
FIELD_VALUES = st.one_of(st.sampled_from(["nan", "inf", "-5", "0", "abc", "", "1e309", "99999999", "-0", "3.5",
                                          "EDF+C", "EDF+D", "24BIT", "256"]),
                         st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8))


def _edf(tmp_path, field, value, sig):
    from tests.test_bids_formats import write_edf_like

    rng = np.random.default_rng(0)
    path = write_edf_like(tmp_path / "x.edf", [rng.integers(-300, 300, 200 * 4), rng.integers(-300, 300, 200 * 4)],
                          [200.0, 200.0])
    raw = bytearray(path.read_bytes())
    if field in EDF_FIELDS:
        off, width = EDF_FIELDS[field]
    else:
        off = 256 + sum(SIG_FIELDS[f] * 2 for f in list(SIG_FIELDS)[:list(SIG_FIELDS).index(field)])
        width = SIG_FIELDS[field]
        off += sig * width
    raw[off:off + width] = value.encode("latin-1")[:width].ljust(width)
    path.write_bytes(bytes(raw))
    return path


def _finite(value: str) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except ValueError:
        return False


# header values that once escaped the readers with raw exceptions (found by this suite): regression cases
KNOWN_EDF_CASES = [("record_s", "nan"), ("n_records", "inf"), ("n_signals", "nan"), ("header_bytes", "inf")]
KNOWN_BV_CASES = [("SamplingInterval", "abc"), ("SamplingInterval", "nan"), ("NumberOfChannels", "abc"),
                  ("NumberOfChannels", "nan"), ("Ch1", "nan")]


@fast(40)
@given(field=st.sampled_from(sorted(EDF_FIELDS) + sorted(SIG_FIELDS)), value=FIELD_VALUES, sig=st.integers(0, 1))
def test_edf_with_a_bad_header_field(tmp_path_factory, field, value, sig):
    _open_and_read_all(_edf(tmp_path_factory.mktemp("edf"), field, value, sig))


@pytest.mark.parametrize("field, value", KNOWN_EDF_CASES)
def test_edf_former_failures(tmp_path, field, value):
    _open_and_read_all(_edf(tmp_path, field, value, 0))


BV_KEYS = ["DataFile", "MarkerFile", "DataFormat", "DataOrientation", "NumberOfChannels", "SamplingInterval",
           "BinaryFormat", "Codepage", "Ch1", "Ch2", "Mk2"]


@fast(40)
@given(key=st.sampled_from(BV_KEYS), value=st.one_of(FIELD_VALUES, st.sampled_from(
    ["../../../../etc/passwd", "x.eeg", "missing.eeg", "VECTORIZED", "MULTIPLEXED", "IEEE_FLOAT_32", "INT_32",
     "UINT_16", "ASCII", "E0,,abc,µV", "E0,,0,µV", ",,,", "Stimulus,S  1,-5,1,0", "Stimulus,S 1,abc,1,0",
     "Stimulus,S 1,999999999,1,0", "Latin-1", "10", "-4", "1e-30"])))
def test_brainvision_with_a_bad_header_line(tmp_path_factory, key, value):
    _bv_case(tmp_path_factory.mktemp("bv"), key, value)


@pytest.mark.parametrize("key, value", KNOWN_BV_CASES)
def test_brainvision_former_failures(tmp_path, key, value):
    _bv_case(tmp_path, key, value)


def _bv_case(d, key, value):
    from tests.test_bids_formats import _write_bv

    path = _write_bv(d, np.random.default_rng(1).integers(-300, 300, (2, 500 * 3)), 500.0, "MULTIPLEXED")
    for name in ("x.vhdr", "x.vmrk"):
        lines = (d / name).read_text(encoding="utf-8").splitlines()
        lines = [f"{key}={value}" if ln.split("=", 1)[0] == key else ln for ln in lines]
        (d / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    _open_and_read_all(path)


@pytest.fixture(scope="module")
def nwb_bytes(tmp_path_factory):
    pytest.importorskip("pynwb")
    from tests.support.nwb_testing import write_example_nwb

    path = tmp_path_factory.mktemp("nwb_src") / "ex.nwb"
    write_example_nwb(path)
    return path.read_bytes()


@fast(25)
@given(frac=st.floats(0.0, 0.999))
def test_truncated_nwb(tmp_path_factory, nwb_bytes, frac):
    path = tmp_path_factory.mktemp("trunc") / "t.nwb"
    path.write_bytes(nwb_bytes[: int(len(nwb_bytes) * frac)])
    _open_and_read_all(path)
