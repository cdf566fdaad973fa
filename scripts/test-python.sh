#!/usr/bin/env bash
# Builds the Python package with `pip install`, into a private virtual
# environment (.deps/python-venv), and runs its pytest suites. Tests that need
# PyTorch, CuPy or an sm_90 GPU report "skipped" where those are missing.
#   scripts/test-python.sh [pytest arguments...]
# Needs python3 >= 3.11 (tomllib reads the pins from pyproject.toml).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo_root}/.deps/python-venv"
python="${venv}/bin/python"
pip=("${python}" -m pip --quiet --disable-pip-version-check)
export PIP_ROOT_USER_ACTION=ignore

if [[ ! -x "${python}" ]]; then
  python3 -m venv "${venv}"
fi
# One source of truth for versions: the build requirements, the runtime
# dependencies and the test extra of pyproject.toml.
mapfile -t requirements < <("${python}" - "${repo_root}/pyproject.toml" <<'PY'
import sys
import tomllib

with open(sys.argv[1], "rb") as f:
    pyproject = tomllib.load(f)
project = pyproject["project"]
print("\n".join(pyproject["build-system"]["requires"] + project["dependencies"]
                + project["optional-dependencies"]["test"]))
PY
)
"${pip[@]}" install "${requirements[@]}"
# Without build isolation the build uses the pinned tools above, so
# build-python/ stays valid and a second run recompiles only what changed.
"${pip[@]}" install --no-build-isolation --no-deps \
  -C build-dir="${repo_root}/build-python" "${repo_root}"

cd "${repo_root}"
status=0
"${python}" -m pytest python/tests -q -rs "$@" || status=$?
# Exit status 5 is "no tests collected": a run that tested nothing must fail.
if [[ ${status} -eq 5 ]]; then
  echo "test-python: pytest collected no tests" >&2
fi
exit "${status}"
