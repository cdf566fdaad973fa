#!/usr/bin/env bash
# The test command of README and CI: installs the dependencies, builds, and
# runs every test. Tests labelled gpu report "skipped" without an sm_90 GPU.
# Arguments go to ctest, e.g. scripts/test.sh -L cpu for the CPU tests only;
# the Python package's tests (scripts/test-python.sh) run after ctest, then
# the planner fuzzer for MLADEC_FUZZ_SECONDS (default 60; 0 skips it).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"${repo_root}/scripts/install-deps.sh"
"${repo_root}/scripts/build.sh"
# --no-tests=error: a filter that matches nothing must not pass.
ctest --test-dir "${repo_root}/build" --output-on-failure --no-tests=error \
  --parallel "$(nproc)" "$@"
# The Python package: pip-installed into a private venv, then pytest.
"${repo_root}/scripts/test-python.sh"
# The planner fuzzer (scripts/fuzz.sh): a crash or sanitizer report fails CI.
if [[ "${MLADEC_FUZZ_SECONDS:-60}" != 0 ]]; then
  "${repo_root}/scripts/fuzz.sh" "${MLADEC_FUZZ_SECONDS:-60}"
fi
