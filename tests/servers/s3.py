"""An S3-compatible bucket over HTTP: ListObjectsV2 XML listings (paginated) and ranged GETs of keys."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from xml.sax.saxutils import escape

from .httpd import Handler, serve_file

NS = "http://s3.amazonaws.com/doc/2006-03-01/"


class S3Bucket:
    """Serve the files under ``root`` as bucket ``bucket`` (keys = paths relative to root).

    ``page_size`` caps MaxKeys so small test datasets still exercise continuation tokens.
    """

    def __init__(self, root: str | Path, bucket: str = "openneuro.org", page_size: int = 1000):
        self.root = Path(root)
        self.bucket = bucket
        self.page_size = page_size

    def keys(self) -> list[str]:
        out = []
        for dirpath, _, files in os.walk(self.root, followlinks=True):  # a dataset may be a symlink
            out += [(Path(dirpath) / f).relative_to(self.root).as_posix() for f in files]
        return sorted(out)

    def __call__(self, h: Handler, path: str, query: dict) -> bool:
        base = f"/{self.bucket}"
        if path in (base, base + "/"):
            if query.get("list-type") != "2":
                h.send_simple(400, b"<Error><Code>InvalidArgument</Code></Error>", "application/xml")
                return True
            self.list_objects(h, query)
            return True
        if path.startswith(base + "/"):
            key = path[len(base) + 1:]
            f = self.root / key
            if not f.is_file() or ".." in key.split("/"):
                body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code>"
                        f"<Key>{escape(key)}</Key></Error>").encode()
                h.send_simple(404, body, "application/xml")
                return True
            serve_file(h, f, etag=self.etag(f))
            return True
        return False

    @staticmethod
    def etag(f: Path) -> str:
        return '"' + hashlib.md5(f.read_bytes()).hexdigest() + '"'

    def list_objects(self, h: Handler, q: dict) -> None:
        fault = h.server.faults.draw()
        if fault == "503":
            h.send_simple(503, b"<Error><Code>SlowDown</Code></Error>", "application/xml")
            return
        if fault in ("slow", "stall"):
            time.sleep(h.server.faults.slow_s)
        if fault in ("drop", "truncate", "short_length"):
            h.kill_connection()
            return
        prefix = q.get("prefix", "")
        delim = q.get("delimiter", "")
        max_keys = min(int(q.get("max-keys", 1000)), self.page_size)
        token = q.get("continuation-token", "")
        start_after = token or q.get("start-after", "")
        entries: list[tuple[str, str]] = []  # (sort key, kind)
        seen_prefixes = set()
        for k in self.keys():
            if not k.startswith(prefix):
                continue
            if delim:
                rest = k[len(prefix):]
                if delim in rest:
                    cp = prefix + rest.split(delim, 1)[0] + delim
                    if cp not in seen_prefixes:
                        seen_prefixes.add(cp)
                        entries.append((cp, "prefix"))
                    continue
            entries.append((k, "key"))
        entries.sort()
        entries = [e for e in entries if e[0] > start_after]
        page, rest = entries[:max_keys], entries[max_keys:]
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{NS}">',
                 f"<Name>{self.bucket}</Name><Prefix>{escape(prefix)}</Prefix>",
                 f"<KeyCount>{len(page)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>",
                 f"<IsTruncated>{'true' if rest else 'false'}</IsTruncated>"]
        if delim:
            parts.append(f"<Delimiter>{escape(delim)}</Delimiter>")
        if token:
            parts.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if rest:
            parts.append(f"<NextContinuationToken>{escape(page[-1][0])}</NextContinuationToken>")
        for name, kind in page:
            if kind == "key":
                f = self.root / name
                parts.append(f"<Contents><Key>{escape(name)}</Key><LastModified>2024-01-01T00:00:00.000Z"
                             f"</LastModified><ETag>{escape(self.etag(f))}</ETag><Size>{f.stat().st_size}</Size>"
                             "<StorageClass>STANDARD</StorageClass></Contents>")
            else:
                parts.append(f"<CommonPrefixes><Prefix>{escape(name)}</Prefix></CommonPrefixes>")
        parts.append("</ListBucketResult>")
        h.send_simple(200, "".join(parts).encode(), "application/xml")
