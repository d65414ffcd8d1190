"""Repository-wide pytest configuration: robust notebook execution under nbmake.

CI once stalled on a notebook that runs in 15 s here: the kernel never answered and pytest-timeout
ended the run after 600 s, with no sign of which cell was waiting. Three guards, for notebook items
only (the notebooks themselves stay plain nbmake notebooks):

* kernels talk over IPC sockets instead of loopback TCP ports (no port picked by one process and
  taken by another before the kernel binds it);
* a cell that runs past its timeout is interrupted, so the failure shows the kernel's traceback at
  the line that hung instead of a pytest-timeout dump of the test process;
* a notebook that failed because its kernel stalled or died is run again (at most twice, with a
  fresh kernel) — any other failure is reported at once.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# a kernel stall, death or start-up failure; not an ordinary error raised by a cell
_KERNEL_TROUBLE = [
    r"Timeout \(>[0-9.]+s\) from pytest-timeout",
    r"A cell timed out while it was being executed",
    r"KeyboardInterrupt",  # what an interrupted (timed-out) cell reports
    r"DeadKernelError|Kernel died|[Kk]ernel didn't respond",
]


def _patch_nbmake() -> None:
    try:
        import nbmake.nb_run as nb_run
        from jupyter_client.manager import AsyncKernelManager
        from traitlets import CaselessStrEnum
    except ImportError:  # nbmake not installed: nothing to patch
        return
    if getattr(nb_run.NotebookClient, "_glue_robust", False):
        return

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        def __init__(self, **kw):
            super().__init__(**kw)
            # an absolute socket path of its own: the default ("kernel-ipc", relative) resolves against
            # the kernel's cwd (the notebook's folder) on one side and pytest's cwd on the other
            self.ip = os.path.join(tempfile.mkdtemp(prefix="gw-kernel-"), "k")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)

    class RobustNotebookClient(nb_run.NotebookClient):
        _glue_robust = True

        def __init__(self, nb, **kw):
            kw["interrupt_on_timeout"] = True
            kw.setdefault("kernel_manager_class", IPCKernelManager)
            super().__init__(nb, **kw)

    nb_run.NotebookClient = RobustNotebookClient


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("nbmake"):
        _patch_nbmake()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rerun = config.pluginmanager.hasplugin("rerunfailures")
    for item in items:
        if type(item).__name__ != "NotebookItem":
            continue
        if rerun:
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=1, only_rerun=_KERNEL_TROUBLE))
