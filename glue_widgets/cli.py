"""The ``glue-widgets`` command: what ``make`` wraps.

    glue-widgets serve [--port 5006] [--address localhost] [--allow-websocket-origin HOST] [--prefix P] [--show]
                       [--data-dir DIR ...]
    glue-widgets demo build [--size default|small] [--force]
    glue-widgets demo list
    glue-widgets info URI [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from .errors import GlueError

__all__ = ["main"]


def _cmd_serve(args: argparse.Namespace) -> int:
    from .apps.serve import serve_all

    serve_all(
        port=args.port,
        address=args.address,
        allow_websocket_origin=args.allow_websocket_origin or None,
        show=args.show,
        prefix=args.prefix,
        num_procs=args.num_procs,
        data_dirs=args.data_dir or None,
    )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .sources import demo

    if args.action == "build":
        path = demo.build(size=args.size, force=args.force)
        print(f"demo corpus ready in {path}")
        print(f"{len(demo.list())} sessions; list them with: glue-widgets demo list")
    else:
        for uri in demo.list():
            print(uri)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from . import open as gw_open

    with gw_open(args.uri) as session:
        streams = {name: info.to_dict() for name, info in session.streams.items()}
        epochs = session.epochs
        if args.json:
            print(json.dumps({"uri": session.uri, "metadata": session.metadata, "streams": streams,
                              "epochs": json.loads(epochs.to_json(orient="records"))},
                             indent=2, default=str))
            return 0
        print(session.uri)
        for key in ("species", "subject", "session", "lab"):
            if session.metadata.get(key):
                print(f"  {key}: {session.metadata[key]}")
        print(f"streams ({len(streams)}):")
        for name, info in session.streams.items():
            fs = f"{info.fs:g} Hz" if info.fs else "events"
            print(f"  {name:<28} {info.modality:<9} {info.n_channels:>5} ch  {fs:>10}  "
                  f"{info.start_s:9.2f}–{info.stop_s:9.2f} s  ({info.duration_s / 60:.1f} min)")
        print(f"epochs ({len(epochs)}):")
        if len(epochs):
            summary = (epochs.assign(duration=epochs["stop"] - epochs["start"])
                       .groupby(["source_table", "label"], dropna=False)["duration"].agg(["count", "sum"]))
            for (table, label), row in summary.iterrows():
                print(f"  {table}/{label}: {int(row['count'])} × ({row['sum']:.1f} s total)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glue-widgets", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve all dashboards with an index page (panel serve)")
    s.add_argument("--port", type=int, default=5006)
    s.add_argument("--address", default="localhost", help="interface to bind (default: localhost only)")
    s.add_argument("--allow-websocket-origin", action="append", default=[],
                   help="host[:port] allowed to open the websocket (behind a proxy, hub or Binder)")
    s.add_argument("--prefix", default="", help="URL prefix when served behind a proxy, e.g. /panel")
    s.add_argument("--show", action="store_true", help="open a browser tab")
    s.add_argument("--num-procs", type=int, default=1,
                   help="server processes (default 1; 0 = one per core). With more than one, pages are not "
                        "pre-built at start and each process holds its own memory")
    s.add_argument("--data-dir", action="append", default=[], metavar="DIR",
                   help="a folder of your own recordings (NWB, BIDS, EDF, BrainVision); repeatable. Every "
                        "source menu gains 'Local files' with the recordings under it, named "
                        "local://<path relative to DIR>; nothing outside DIR can be opened")
    s.set_defaults(func=_cmd_serve)

    d = sub.add_parser("demo", help="build or list the built-in demo corpus")
    d.add_argument("action", choices=["build", "list"])
    d.add_argument("--size", choices=["default", "small"], default=None)
    d.add_argument("--force", action="store_true", help="rebuild even if cached")
    d.set_defaults(func=_cmd_demo)

    i = sub.add_parser("info", help="streams, epochs and durations of a session")
    i.add_argument("uri")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_cmd_info)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GlueError as exc:
        print(f"glue-widgets: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
