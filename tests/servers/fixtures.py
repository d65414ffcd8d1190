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
