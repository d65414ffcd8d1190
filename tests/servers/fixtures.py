"""pytest fixtures that start/stop the local archive servers (import with ``pytest_plugins`` or directly).

Every server binds 127.0.0.1 on port 0 and is shut down when its fixture scope ends. Function-level
fixtures point ``GLUE_OPENNEURO_URL`` / ``GLUE_DANDI_API_URL`` / ``GLUE_CACHE_DIR`` at them and at a
fresh cache, and reset fault injection afterwards.
"""

from __future__ import annotations

import pytest

from .httpd import Faults, LocalServer, StaticFiles
from .s3 import S3Bucket


@pytest.fixture(scope="session")
def bids_dataset(tmp_path_factory):
    """A small BIDS dataset ``ds000001`` (EDF + BrainVision, EEG + iEEG) written with mne-bids."""
    pytest.importorskip("mne_bids")
    from .bids_fixture import make_bids_dataset

    return make_bids_dataset(tmp_path_factory.mktemp("bids"))


@pytest.fixture(scope="session")
def s3_server(bids_dataset):
    """An S3-compatible bucket ``openneuro.org`` holding ``ds000001`` (listing pages of 7 keys)."""
    srv = LocalServer([S3Bucket(bids_dataset.parent, "openneuro.org", page_size=7)]).start()
    yield srv
    srv.stop()


@pytest.fixture
def openneuro_env(s3_server, monkeypatch, tmp_path):
    """Env pointing glue_widgets at the local bucket and at an empty cache; faults reset after."""
    monkeypatch.setenv("GLUE_OPENNEURO_URL", f"{s3_server.url}/openneuro.org")
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "cache"))
    s3_server.faults = Faults()
    s3_server.request_log.clear()
    yield s3_server
    s3_server.faults = Faults()


@pytest.fixture
def static_server(tmp_path):
    """A range-capable static file server over ``tmp_path / 'www'`` at ``/files/``."""
    root = tmp_path / "www"
    root.mkdir()
    srv = LocalServer([StaticFiles(root)]).start()
    srv.root = root
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def nwb_files(tmp_path_factory):
    """Three chunked NWB files (ecephys, ophys, units), 11 minutes each."""
    pytest.importorskip("pynwb")
    from .nwb_fixture import write_all

    return write_all(tmp_path_factory.mktemp("nwb") / "blobs")


DANDI_TOKEN = "sekret-key-0123456789"


@pytest.fixture(scope="session")
def dandi_servers(nwb_files, tmp_path_factory):
    """(api, blobs): a DANDI-API-compatible server and the static server its downloads redirect to.

    Dandiset 000001 (public; versions draft and 0.240101.0000) holds the three NWB files, filler
    assets and one Zarr asset; 000002 is embargoed (needs ``Authorization: token DANDI_TOKEN``).
    """
    from .dandi_api import Asset, DandiAPI, Dandiset

    blob_root = nwb_files["ecephys"].parent
    filler = blob_root / "notes.txt"
    filler.write_text("not an nwb file\n")
    blobs = LocalServer([StaticFiles(blob_root, prefix="/blobs/")]).start()
    assets = [Asset(f"sub-m1/sub-m1_ses-1_{k}.nwb", p) for k, p in nwb_files.items()]
    assets += [Asset(f"sub-m{i}/notes.txt", filler) for i in range(2, 5)]
    assets += [Asset("sub-m1/sub-m1_ses-2_ecephys.nwb.zarr", filler, zarr="c0ffee-zarr-id")]
    ds1 = Dandiset("000001", "Streaming fixture: mouse visual cortex", {"draft": assets, "0.240101.0000": assets})
    ds2 = Dandiset("000002", "Embargoed streaming fixture", {"draft": [Asset("sub-x/sub-x_units.nwb",
                                                                            nwb_files["units"])]}, embargoed=True)
    api = LocalServer([DandiAPI([ds1, ds2], blob_base=f"{blobs.url}/blobs", blob_root=blob_root,
                                token=DANDI_TOKEN, page_size=2)]).start()
    yield api, blobs
    api.stop()
    blobs.stop()


@pytest.fixture
def dandi_env(dandi_servers, monkeypatch, tmp_path):
    """Env pointing glue_widgets at the local DANDI API and a fresh cache, no API key; faults reset."""
    api, blobs = dandi_servers
    monkeypatch.setenv("GLUE_DANDI_API_URL", f"{api.url}/api")
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DANDI_API_KEY", raising=False)
    for srv in (api, blobs):
        srv.faults = Faults()
        srv.request_log.clear()
    yield api, blobs
    for srv in (api, blobs):
        srv.faults = Faults()
