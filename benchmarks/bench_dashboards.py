"""Load benchmark of the dashboards: 20 concurrent sessions against a real ``glue-widgets serve``.

What runs
---------
* The server: ``python -m glue_widgets.cli serve --port P`` in a subprocess on loopback, demo corpus
  size "small" (``GLUE_DEMO_SIZE=small``, built first with ``gw.demo.build(size="small")``), with
  ``GLUE_WIDGETS_TIMINGS=1`` so that it records its own server-side timings (debug endpoint
  ``/gw-debug/timings``; see ``glue_widgets.apps._common.enable_server_timings``).
* The clients: 20 forked processes (``GW_BENCH_CLIENTS=threads``: 20 threads of this process, as in
  runs before 2026-12-03 evening). Each does what a browser tab does, with Bokeh's own
  websocket client: HTTP GET of ``/browser`` (the server builds the page: opens the session, reads the
  first window, builds the plot), then ``bokeh.client.pull_session`` with the session id from the
  page's token (attaches to *that* server-side Document and downloads it) and sends ``document_ready``
  as BokehJS does once the page is drawn. Then it interacts through
  the Document's widget models, as the browser would: moves the window start N_MOVES times (read +
  redraw of a new window) and switches the session once; after each change it waits until the plot's
  data source in its Document shows the new window (or the new session), and closes.

What is timed
-------------
* first render (client-side wall time) = GET of the page + pull of the session Document. The pull
  includes the Python client decoding the Document (a browser's JS does that part itself; this
  client needs ~0.3 s of CPU for it, on the same 2 cores as the server), so it over-estimates.
* server-side redraw per interaction = Panel's synchronous handling of the client's change
  (Panel's busy bookkeeping around ``Syncable._process_events``: widget -> dashboard model -> read the window -> redraw (new data for
  the Bokeh sources) -> Bokeh model changes queued), plus any HoloViews plot refresh deferred to a later
  tick for the same Document before the next interaction. Network and browser paint not included.
* client round trip per interaction: from setting the widget value in the client Document until the
  plot's data source there shows the new data (includes Panel's debounce, queueing behind the other
  19 sessions, transfer and the client's decode).
* server RSS (psutil) at start, after the 20 sessions were open, and after they were closed and the
  server destroyed them (bokeh's unused-session check; waited for).

Run: ``PYTHONPATH=. nice .venv/bin/python benchmarks/bench_dashboards.py`` (about 2 minutes).
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _record import record  # noqa: E402

N_SESSIONS = int(os.environ.get("GW_BENCH_SESSIONS", 20))
N_MOVES = 5            # window moves per session
RAMP_S = float(os.environ.get("GW_BENCH_RAMP", 20.0))  # arrivals spread over this many s (0: all at once)
APP = "browser"
# Tornado worker processes of the server (measured at 1 and 2; with 2 the timings endpoint answers from
# one process only, so the server-side redraw numbers cover about half of the sessions)
NUM_PROCS = int(os.environ.get("GW_BENCH_NUM_PROCS", 1))
# "processes": one forked client process per session (default); "threads": all clients as threads of
# this process (the earlier runs; their decoding then also waits on one GIL)
CLIENTS = os.environ.get("GW_BENCH_CLIENTS", "processes")
WAIT_S = 30.0          # longest wait for one update before it counts as an error


PROCS_NOTE = """With several processes Bokeh cannot pre-build the pages (`warm=False`), the timings
endpoint answers from one process only (server-side redraw n is a part of the interactions; the single-session
reference may miss them all), and a page's websocket can reach another process than its GET, which then builds
the page again (server CPU per session above).

"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs, q):
    return float(np.percentile(np.asarray(xs, float), q)) if len(xs) else float("nan")


def summary(xs) -> dict:
    return {"n": len(xs), "p50": pct(xs, 50), "p95": pct(xs, 95),
            "max": float(max(xs)) if xs else float("nan"),
            "mean": float(statistics.fmean(xs)) if xs else float("nan")}


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its children (the rest worker)."""
    import psutil
    p = psutil.Process(pid)
    total = sum(p.cpu_times()[:2])
    for c in p.children(recursive=True):
        try:
            total += sum(c.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def rss_mb(pid: int) -> float:
    import psutil
    return psutil.Process(pid).memory_info().rss / 2**20


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, GLUE_DEMO_SIZE="small", GLUE_WIDGETS_TIMINGS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = open(log_path, "w")
    cmd = [sys.executable, "-m", "glue_widgets.cli", "serve", "--port", str(port), "--num-procs", str(NUM_PROCS)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_live(base: str, proc: subprocess.Popen, timeout: float = 180.0) -> float:
    import requests
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if requests.get(base + "/liveness", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("server did not come up")


# -- one client ------------------------------------------------------------------------------------

def _cds_span(doc) -> tuple | None:
    """(min, max) of the time axis over the Document's trace data (the lines of the window)."""
    lo, hi = np.inf, -np.inf
    from bokeh.models import ColumnDataSource
    for m in doc.models:
        if isinstance(m, ColumnDataSource):
            v = m.data.get("time")  # one line per channel (Curve) or the raster (Segments)
            if v is not None and len(v) > 1:
                a = np.asarray(v, float)
                lo, hi = min(lo, np.nanmin(a)), max(hi, np.nanmax(a))
            xs = m.data.get("xs")   # all channels as one Path (multi_line: a list of arrays)
            if xs is not None and len(xs) and "time" not in m.data:
                parts = [np.asarray(x, float) for x in xs if len(x) > 1]
                if parts:
                    a = np.concatenate(parts)
                    lo, hi = min(lo, np.nanmin(a)), max(hi, np.nanmax(a))
    return None if not np.isfinite(lo) else (float(lo), float(hi))


def _trace_fingerprint(doc) -> tuple:
    """The time span and a checksum of the drawn values: changes when the plot shows other data, even
    when two sessions open on the same time window (the span alone would not change then)."""
    from bokeh.models import ColumnDataSource
    total = 0.0
    for m in doc.models:
        if isinstance(m, ColumnDataSource):
            for key in ("ys", "y", "y0", "amplitude"):
                v = m.data.get(key)
                if v is not None and len(v):
                    parts = [np.asarray(x, float).ravel() for x in v] if key == "ys" else [np.asarray(v, float)]
                    total += float(sum(np.nansum(x) for x in parts))
    return _cds_span(doc), round(total, 6)


def _widget(doc, title):
    for m in doc.models:
        if getattr(m, "title", None) == title:
            return m
    raise LookupError(f"no widget titled {title!r} in the page")


def _wait(cs, pred, timeout=WAIT_S) -> bool:
    """Run the client's loop, applying the server's patches, until ``pred()`` or ``timeout``.

    (``force_roundtrip`` would not do: while the client waits for a reply it drops the PATCH-DOC
    messages the server pushes in between.)
    """
    if pred():
        return True
    conn = cs._connection
    loop = conn._loop
    handle = loop.call_later(timeout, loop.stop)
    try:
        conn._loop_until(pred)
    finally:
        loop.remove_timeout(handle)
    return bool(pred())


def client(i: int, base: str, out: dict, start_at: float) -> None:
    import requests
    from bokeh.client import pull_session
    from bokeh.util.token import get_session_id
    from tornado.ioloop import IOLoop

    rec = out[i] = {"errors": [], "moves_ms": [], "switch_ms": None}
    time.sleep(max(0.0, start_at - time.perf_counter()))
    cs = None
    try:
        url = f"{base}/{APP}"
        t0 = time.perf_counter()
        r = requests.get(url, timeout=60)
        r.raise_for_status()
        token = re.search(r'"token":\s*"([^"]+)"', r.text).group(1)
        t1 = time.perf_counter()
        c1 = time.thread_time()
        cs = pull_session(session_id=get_session_id(token), url=url, io_loop=IOLoop())
        # BokehJS sends `document_ready` once the page is rendered; Panel waits for it before it
        # pushes plot updates (until then HoloViews defers every refresh), so send it like a browser
        from bokeh.events import DocumentReady
        cs.document.callbacks.send_event(DocumentReady())
        cs.force_roundtrip()
        t2 = time.perf_counter()
        rec.update(get_s=t1 - t0, pull_s=t2 - t1, first_render_s=t2 - t0,
                   pull_client_cpu_s=time.thread_time() - c1)
        doc = cs.document
        start_w = _widget(doc, "Window start (s)")
        length = float(_widget(doc, "Window length (s)").value)
        if not _wait(cs, lambda: _cds_span(doc) is not None):
            rec["errors"].append("no trace data in the first page")
            return
        lo_b = float(start_w.low if start_w.low is not None else 0.0)
        hi_b = float(start_w.high if start_w.high is not None else lo_b + 10 * length)
        rng = np.random.default_rng(i)
        for k in range(N_MOVES):
            new = float(np.round(rng.uniform(lo_b, max(lo_b, hi_b - length)), 2))
            t = time.perf_counter()
            start_w.value = new
            ok = _wait(cs, lambda: (_cds_span(doc) or (np.inf, np.inf))[0] >= new - 0.05
                       and _cds_span(doc)[0] <= new + length)
            if ok:
                rec["moves_ms"].append((time.perf_counter() - t) * 1e3)
            else:
                rec["errors"].append(f"window move to {new} s not drawn within {WAIT_S} s")
                return  # the client loop was stopped mid-read: do not reuse this connection
            time.sleep(0.2)  # a person does not click faster than this
        sel = _widget(doc, "Session")
        opts = [o[0] if isinstance(o, (list, tuple)) else o for o in sel.options]
        others = [o for o in opts if o != sel.value]
        if others:
            before = _trace_fingerprint(doc)
            t = time.perf_counter()
            sel.value = others[i % len(others)]
            ok = _wait(cs, lambda: _cds_span(doc) is not None and _trace_fingerprint(doc) != before)
            if ok:
                rec["switch_ms"] = (time.perf_counter() - t) * 1e3
            else:
                rec["errors"].append(f"session switch to {sel.value} not drawn within {WAIT_S} s")
    except Exception as exc:  # recorded as an error of this session
        rec["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        if cs is not None:
            try:
                cs.close()
            except Exception:
                pass


def _client_process(i: int, base: str, start_at: float, queue) -> None:
    out: dict = {}
    client(i, base, out, start_at)
    queue.put((i, out[i]))


def start_client_processes(base: str, starts: list[float]):
    """One forked process per session (like browser tabs: each decodes its own pages on its own
    thread; in one process the 20 Python clients would also queue behind each other's GIL)."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")  # perf_counter is CLOCK_MONOTONIC: the start times hold in the children
    queue = ctx.Queue()
    procs = [ctx.Process(target=_client_process, args=(i, base, starts[i], queue), daemon=True)
             for i in range(len(starts))]
    for p in procs:
        p.start()
    return procs, queue


def collect_client_processes(procs, queue, out: dict) -> None:
    deadline = time.perf_counter() + 600
    while len(out) < len(procs) and time.perf_counter() < deadline:
        try:
            i, rec = queue.get(timeout=5)
            out[i] = rec
        except Exception:
            if not any(p.is_alive() for p in procs):
                break
    for p in procs:
        p.join(timeout=10)
    for i in range(len(procs)):
        out.setdefault(i, {"errors": ["client process died without a result"], "moves_ms": [], "switch_ms": None})


def clients_cpu_s() -> float:
    """CPU seconds of this process (client threads) and of its waited-for children (client processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# -- server-side attribution ----------------------------------------------------------------------

def interaction_times(records: list[dict]) -> list[dict]:
    """Per interaction: its synchronous handling plus the plot refreshes HoloViews deferred for its doc."""
    inter = sorted((r for r in records if r["kind"] == "interaction"), key=lambda r: r["t"])
    refresh = [r for r in records if r["kind"] == "plot_refresh"]
    out = []
    for j, r in enumerate(inter):
        end = r["t"]
        start = end - r["ms"] / 1e3
        nxt = next((q["t"] - q["ms"] / 1e3 for q in inter[j + 1:] if q["doc"] == r["doc"]), end + 5.0)
        deferred = sum(q["ms"] for q in refresh
                       if q["doc"] == r["doc"] and end <= q["t"] - q["ms"] / 1e3 < nxt)
        out.append({"widget": r["name"] or r["what"], "handling_ms": r["ms"], "deferred_ms": deferred,
                    "total_ms": r["ms"] + deferred, "start": start})
    return out


def single_reference(base: str) -> dict:
    """One session alone on the (warm) server: the uncontended cost of the same scenario."""
    import requests
    requests.get(base + "/gw-debug/timings?clear=1", timeout=10)
    out: dict = {}
    client(1000, base, out, time.perf_counter())
    inter = interaction_times(requests.get(base + "/gw-debug/timings?clear=1", timeout=30).json()["records"])
    s = out[1000]
    return {"errors": s["errors"], "first_render_s": s.get("first_render_s"), "get_s": s.get("get_s"),
            "server_redraw_ms_window": summary([x["total_ms"] for x in inter
                                                if x["widget"] == "Window start (s)"]),
            "server_redraw_ms_session": summary([x["total_ms"] for x in inter if x["widget"] == "Session"])}


def main() -> None:
    import panel.models  # noqa: F401  - registers Panel's Bokeh models, so the client can decode pages
    import requests

    import glue_widgets as gw

    t_build = time.perf_counter()
    gw.demo.build(size="small")
    build_s = time.perf_counter() - t_build
    port = free_port()
    base = f"http://localhost:{port}"
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"gw-bench-dashboards-{port}.log"
    proc = start_server(port, log_path)
    data: dict = {"settings": {"sessions": N_SESSIONS, "moves_per_session": N_MOVES, "ramp_s": RAMP_S,
                               "app": APP, "demo_size": "small", "address": "localhost (loopback)",
                               "server": f"glue_widgets serve_all ({NUM_PROCS} process(es), warm={NUM_PROCS == 1})",
                               "num_procs": NUM_PROCS,
                               "client": f"bokeh.client.pull_session, one {CLIENTS[:-1] if CLIENTS.endswith('s') else CLIENTS}"
                                         " per session, same machine",
                               "load_average_before": os.getloadavg()}}
    try:
        data["server_startup_s"] = wait_live(base, proc)
        data["rss_mb_start"] = rss_mb(proc.pid)
        data["single_session"] = single_reference(base)
        time.sleep(2)
        requests.get(base + "/gw-debug/timings?clear=1", timeout=10)

        out: dict = {}
        t_start = time.perf_counter() + 0.5
        starts = [t_start + RAMP_S * i / max(1, N_SESSIONS) for i in range(N_SESSIONS)]
        threads = [threading.Thread(target=client, args=(i, base, out, starts[i])) for i in range(N_SESSIONS)]
        peak = [0.0]
        stop = threading.Event()

        def watch_rss():
            while not stop.is_set():
                try:
                    peak[0] = max(peak[0], rss_mb(proc.pid))
                except Exception:
                    pass
                time.sleep(0.25)

        w = threading.Thread(target=watch_rss, daemon=True)
        cpu_server0, cpu_clients0 = cpu_s(proc.pid), clients_cpu_s()
        if CLIENTS == "threads":
            w.start()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=600)
        else:  # fork before any other thread runs here
            procs, queue = start_client_processes(base, starts)
            w.start()
            collect_client_processes(procs, queue, out)
        stop.set()
        data["wall_s_clients"] = time.perf_counter() - t_start
        # CPU actually used in the 20-session phase, server (+ its rest worker) and the clients
        data["cpu_s_server"] = cpu_s(proc.pid) - cpu_server0
        data["cpu_s_clients"] = clients_cpu_s() - cpu_clients0
        data["rss_mb_peak_during"] = peak[0]
        data["rss_mb_after_clients"] = rss_mb(proc.pid)
        records = requests.get(base + "/gw-debug/timings", timeout=30).json()["records"]

        # sessions are destroyed by bokeh's unused-session check (every ~17 s, lifetime 15 s)
        data["destroy_wait_s"] = float(os.environ.get("GW_BENCH_DESTROY_WAIT", 40))
        time.sleep(data["destroy_wait_s"])
        data["rss_mb_after_destroyed"] = rss_mb(proc.pid)
    finally:
        import psutil
        try:  # Tornado's forked worker processes (num_procs > 1) outlive a terminated parent
            children = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            children = []
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        for c in children:
            try:
                c.terminate()
            except psutil.Error:
                pass
        psutil.wait_procs(children, timeout=10)
    log = log_path.read_text(errors="replace")
    server_errors = [ln for ln in log.splitlines()
                     if "Traceback" in ln or " ERROR" in ln or "Exception" in ln]

    sessions = [out[i] for i in sorted(out)]
    errors = [e for s in sessions for e in s["errors"]]
    fr = [s["first_render_s"] for s in sessions if "first_render_s" in s]
    gets = [s["get_s"] for s in sessions if "get_s" in s]
    pulls = [s["pull_s"] for s in sessions if "pull_s" in s]
    pull_cpu = [s["pull_client_cpu_s"] for s in sessions if "pull_client_cpu_s" in s]
    moves_rt = [m for s in sessions for m in s["moves_ms"]]
    switch_rt = [s["switch_ms"] for s in sessions if s["switch_ms"] is not None]
    inter = interaction_times(records)
    moves_srv = [x["total_ms"] for x in inter if x["widget"] == "Window start (s)"]
    switch_srv = [x["total_ms"] for x in inter if x["widget"] == "Session"]
    all_srv = [x["total_ms"] for x in inter]
    steps: dict = {}
    for r in records:
        if r["kind"] == "step":
            steps.setdefault(r["what"], []).append(r["ms"])
    data.update(demo_build_s=build_s, sessions_ok=sum(1 for s in sessions if not s["errors"]),
                client_errors=errors, server_error_lines=server_errors[:20],
                first_render_s=summary(fr), get_s=summary(gets), pull_s=summary(pulls),
                pull_client_cpu_s=summary(pull_cpu),
                server_redraw_ms_all=summary(all_srv), server_redraw_ms_window=summary(moves_srv),
                server_redraw_ms_session=summary(switch_srv),
                roundtrip_ms_window=summary(moves_rt), roundtrip_ms_session=summary(switch_rt),
                steps_ms={k: summary(v) for k, v in steps.items()},
                load_average_after=os.getloadavg())
    ok_fr = data["first_render_s"]["p95"] < 2.0
    ok_rd = data["server_redraw_ms_all"]["p95"] < 300.0
    ok_err = not errors and not server_errors
    data["bars"] = {"first_render_p95_lt_2s": ok_fr, "server_redraw_p95_lt_300ms": ok_rd, "no_errors": ok_err}

    ref = data["single_session"]
    rw = ref["server_redraw_ms_window"]

    def fmt_s(x):
        return "n/a" if x is None else f"{x * 1e3:.0f} ms"

    def row(name, s, unit, scale=1.0):
        vals = " | ".join(f"{s[k] * scale:.0f}" for k in ("p50", "p95", "max"))
        return f"| {name} | {s['n']} | {vals} | {unit} |"

    md = f"""
{N_SESSIONS} concurrent sessions of the `/{APP}` dashboard against `glue-widgets serve` (subprocess, loopback,
{NUM_PROCS} server process(es), `warm={NUM_PROCS == 1}`), demo corpus size "small"; clients are Bokeh's websocket client
(`bokeh.client.pull_session`, one {'process' if CLIENTS == 'processes' else 'thread'} each, same 2-core machine); sessions start
{'all at once' if RAMP_S == 0 else f'spread over {RAMP_S:.0f} s'}; each moves the window {N_MOVES} times
(0.2 s apart) and then switches the session once. Load average before:
{data['settings']['load_average_before'][0]:.1f} (the machine is shared with other jobs), after:
{data['load_average_after'][0]:.1f}.

| measure | n | p50 | p95 | max | unit |
|---|---|---|---|---|---|
{row('first render (GET page + pull Document, client wall time)', data['first_render_s'], 'ms', 1e3)}
{row('  GET of the page (server builds it)', data['get_s'], 'ms', 1e3)}
{row('  pull of the Document (incl. Python client decode)', data['pull_s'], 'ms', 1e3)}
{row('  of which CPU of the client thread (decode; not server work)', data['pull_client_cpu_s'], 'ms', 1e3)}
{row('server-side redraw, all interactions', data['server_redraw_ms_all'], 'ms')}
{row('  server-side redraw, window move', data['server_redraw_ms_window'], 'ms')}
{row('  server-side redraw, session switch', data['server_redraw_ms_session'], 'ms')}
{row('client round trip, window move', data['roundtrip_ms_window'], 'ms')}
{row('client round trip, session switch', data['roundtrip_ms_session'], 'ms')}

Server-side redraw = Panel's synchronous handling of one client change (Panel's busy bookkeeping around `Syncable._process_events`:
widget → model → read window → redraw → Bokeh changes queued) + any HoloViews refreshes deferred
to a later tick for the same Document; recorded by the server itself (`GLUE_WIDGETS_TIMINGS=1`). Client round trip = set the
widget in the client Document until its plot data shows the new window (includes Panel's debounce and queueing
behind the other sessions). Background rest detection (`gw.extract_rest` in a worker thread after a session
switch) is not an interaction and not counted.

Reference, one session alone on the same warm server just before (same scenario): first render
{fmt_s(ref['first_render_s'])} (GET {fmt_s(ref['get_s'])}), server-side redraw window move p50/max
{rw['p50']:.0f}/{rw['max']:.0f} ms (n={rw['n']}),
session switch {ref['server_redraw_ms_session']['max']:.0f} ms, errors: {len(ref['errors'])}.

CPU used during the {data['wall_s_clients']:.0f} s of the 20-session phase: server {data['cpu_s_server']:.1f} s
(process + its rest-detection worker; {data['cpu_s_server'] / N_SESSIONS:.2f} s per session), clients
{data['cpu_s_clients']:.1f} s (the 20 Python Bokeh clients: decoding Documents and patches),
on 2 cores shared with any other job on the machine.

Sessions without error: {data['sessions_ok']}/{N_SESSIONS}; client errors: {len(errors)}; server log error
lines: {len(server_errors)}. Server RSS{'' if NUM_PROCS == 1 else ' (parent process only)'}: {data['rss_mb_start']:.0f} MB at start, peak
{data['rss_mb_peak_during']:.0f} MB during, {data['rss_mb_after_clients']:.0f} MB when the clients closed, {data['rss_mb_after_destroyed']:.0f} MB
{data['destroy_wait_s']:.0f} s later (sessions destroyed). Server start-up{' (warm build of every dashboard)' if NUM_PROCS == 1 else ''}:
{data['server_startup_s']:.1f} s.

{'' if NUM_PROCS == 1 else PROCS_NOTE}Bars (the project's dashboard bars): first render p95 < 2 s: **{'yes' if ok_fr else 'no'}**; server redraw p95 < 300 ms:
**{'yes' if ok_rd else 'no'}**; no errors: **{'yes' if ok_err else 'no'}**.
"""
    # the default (1 process) is the "dashboards" section; other process counts get a section of their own
    name = "dashboards" if NUM_PROCS == 1 else f"dashboards_procs{NUM_PROCS}"
    record(name if CLIENTS == "processes" else name + "_client_threads", md, data)


if __name__ == "__main__":
    main()
