"""A DANDI-API-compatible endpoint: /api/info/, dandisets, versions, paginated assets, download redirect.

Assets point at files served by a separate static server (``blob_base``), as real DANDI redirects
to S3. One dandiset can be embargoed: it then answers 401 without ``Authorization: token <key>``.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from .httpd import Handler


@dataclass
class Asset:
    path: str
    file: Path  # local file; served by the static server under blob_base
    asset_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    zarr: str | None = None

    @property
    def size(self) -> int:
        return self.file.stat().st_size if self.file.is_file() else 0


@dataclass
class Dandiset:
    identifier: str
    name: str
    versions: dict[str, list[Asset]]  # "draft" and published versions
    embargoed: bool = False


class DandiAPI:
    def __init__(self, dandisets: list[Dandiset], blob_base: str, blob_root: Path, token: str = "sekret-key",
                 page_size: int = 2):
        self.dandisets = {d.identifier: d for d in dandisets}
        self.blob_base = blob_base.rstrip("/")
        self.blob_root = Path(blob_root)
        self.token = token
        self.page_size = page_size

    # -- helpers -------------------------------------------------------------------------------
    def _json(self, h: Handler, obj, code: int = 200):
        h.send_simple(code, json.dumps(obj).encode(), "application/json")

    def _authorized(self, h: Handler) -> bool:
        return h.headers.get("Authorization", "") == f"token {self.token}"

    def _version_info(self, d: Dandiset, v: str) -> dict:
        assets = d.versions[v]
        return {"version": v, "name": d.name, "asset_count": len(assets), "size": sum(a.size for a in assets),
                "status": "Valid", "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
                "dandiset": {"identifier": d.identifier}}

    def _dandiset_info(self, d: Dandiset) -> dict:
        published = sorted(v for v in d.versions if v != "draft")
        return {"identifier": d.identifier, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
                "contact_person": "Doe, Jane", "embargo_status": "EMBARGOED" if d.embargoed else "OPEN",
                "draft_version": self._version_info(d, "draft") if "draft" in d.versions else None,
                "most_recent_published_version": self._version_info(d, published[-1]) if published else None}

    def _page(self, h: Handler, items: list, q: dict, base_path: str):
        page = int(q.get("page", 1))
        size = min(int(q.get("page_size", self.page_size)), self.page_size)
        n_pages = max(1, math.ceil(len(items) / size))
        chunk = items[(page - 1) * size: page * size]
        host = f"http://{h.headers.get('Host')}"
        extra = "".join(f"&{k}={v}" for k, v in q.items() if k not in ("page", "page_size"))
        nxt = f"{host}{base_path}?page={page + 1}&page_size={size}{extra}" if page < n_pages else None
        prev = f"{host}{base_path}?page={page - 1}&page_size={size}{extra}" if page > 1 else None
        self._json(h, {"count": len(items), "next": nxt, "previous": prev, "results": chunk})

    def _asset_json(self, a: Asset) -> dict:
        return {"asset_id": a.asset_id, "blob": None if a.zarr else a.asset_id, "zarr": a.zarr, "path": a.path,
                "size": a.size, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z"}

    # -- routing -------------------------------------------------------------------------------
    def __call__(self, h: Handler, path: str, q: dict) -> bool:
        if not path.startswith("/api/"):
            return False
        h.server.faults  # noqa: B018 - API routes are not fault-injected (data reads are)
        parts = [p for p in path[len("/api/"):].split("/") if p]
        if parts == ["info"]:
            api = f"http://{h.headers.get('Host')}/api"
            self._json(h, {"schema_version": "0.6.8", "version": "0.4.0", "cli-minimal-version": "0.60.0",
                           "cli-bad-versions": [], "services": {"api": {"url": api}}})
            return True
        if parts == ["auth", "token"]:  # the dandi client checks a key here before using it
            if self._authorized(h):
                self._json(h, self.token)
            else:
                self._json(h, {"detail": "Invalid token."}, 401)
            return True
        if parts == ["dandisets"]:
            text = q.get("search", "").lower()
            items = [self._dandiset_info(d) for d in self.dandisets.values()
                     if (not d.embargoed or self._authorized(h)) and
                     (text in d.name.lower() or text in d.identifier)]
            self._page(h, items, q, path)
            return True
        if parts[0] == "dandisets" and len(parts) >= 2:
            d = self.dandisets.get(parts[1])
            if d is None:
                self._json(h, {"detail": "Not found."}, 404)
                return True
            if d.embargoed and not self._authorized(h):
                self._json(h, {"detail": "Authentication credentials were not provided."}, 401)
                return True
            if len(parts) == 2:
                self._json(h, self._dandiset_info(d))
                return True
            if parts[2] == "versions" and len(parts) >= 4:
                v = parts[3]
                if v not in d.versions:
                    self._json(h, {"detail": "Not found."}, 404)
                    return True
                if len(parts) == 4:
                    self._json(h, {"@context": "https://schema.dandiarchive.org", "identifier": f"DANDI:{d.identifier}",
                                   "name": d.name, "version": v, "id": f"DANDI:{d.identifier}/{v}"})
                    return True
                if parts[4:] == ["info"]:  # DandiAPIClient.get_dandiset(id, version)
                    self._json(h, {**self._version_info(d, v), "asset_validation_errors": [],
                                   "version_validation_errors": [], "metadata": {"name": d.name}})
                    return True
                if parts[4] == "assets" and len(parts) == 5:
                    assets = d.versions[v]
                    if q.get("path"):
                        assets = [a for a in assets if a.path.startswith(q["path"])]
                    if q.get("glob"):
                        assets = [a for a in assets if fnmatchcase(a.path, q["glob"])]
                    self._page(h, [self._asset_json(a) for a in assets], q, path)
                    return True
        if parts[0] == "assets" and len(parts) == 3 and parts[2] == "download":
            for d in self.dandisets.values():
                for assets in d.versions.values():
                    for a in assets:
                        if a.asset_id == parts[1]:
                            if d.embargoed and not self._authorized(h):
                                self._json(h, {"detail": "Authentication credentials were not provided."}, 401)
                                return True
                            rel = a.file.relative_to(self.blob_root).as_posix()
                            h.send_simple(302, b"", headers={"Location": f"{self.blob_base}/{rel}"})
                            return True
            self._json(h, {"detail": "Not found."}, 404)
            return True
        self._json(h, {"detail": "Not found."}, 404)
        return True
