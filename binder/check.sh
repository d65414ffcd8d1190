#!/usr/bin/env bash
# Check offline that repo2docker reads binder/ as intended (Python 3.11, pinned requirements, postBuild, start).
# Used by .ci/run; needs no Docker engine (--no-build only writes the Dockerfile).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${R2D_VENV:-/tmp/glue-r2d-venv}
if [ ! -x "$venv/bin/jupyter-repo2docker" ]; then
  if command -v uv >/dev/null; then uv venv -q "$venv" && uv pip install -q --python "$venv/bin/python" jupyter-repo2docker
  else python3 -m venv "$venv" && "$venv/bin/pip" install -q jupyter-repo2docker; fi
fi
out=$(cd /tmp && "$venv/bin/jupyter-repo2docker" --no-build --debug "$repo" 2>&1)
fail=0
check() { if grep -q -- "$1" <<<"$out"; then echo "binder ok: $2"; else echo "binder FAIL: $2 (no '$1')"; fail=1; fi; }
check "python=3.11" "Python 3.11 from runtime.txt"
check 'pip install --no-cache-dir -r "binder/requirements.txt"' "pinned requirements installed"
check "./binder/postBuild" "postBuild runs (installs the package, builds the demo)"
check 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' "start script is the entry point"
exit $fail
