# Shared by scripts/app and scripts/test: pick (or make) the Python environment.
# Inside an active virtualenv or conda env, or with RNNVIZ_NO_VENV=1, use the current python;
# otherwise make ./.venv (seeing the system's packages, so a preinstalled torch counts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ -z "${VIRTUAL_ENV:-}" ] && [ -z "${CONDA_PREFIX:-}" ] && [ "${RNNVIZ_NO_VENV:-0}" != "1" ]; then
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv --system-site-packages .venv
  fi
  PY="$ROOT/.venv/bin/python"
fi
"$PY" - <<'PYEOF'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"rnnviz needs Python 3.11 or newer, this is {sys.version.split()[0]}")
PYEOF
# A venv that sees the system's packages does not see their Jupyter data files (Voila's templates,
# kernel specs) under the base interpreter's share/jupyter: point Jupyter at them too.
if [ -n "${PY#"$ROOT/.venv/bin/python"}" ]; then :; else
  BASE_SHARE="$("$PY" -c 'import os, sys; print(os.path.join(sys.base_prefix, "share", "jupyter"))')"
  export JUPYTER_PATH="${JUPYTER_PATH:+$JUPYTER_PATH:}$BASE_SHARE"
fi
