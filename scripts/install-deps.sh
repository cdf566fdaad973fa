#!/usr/bin/env bash
# Installs mladec's pinned build dependencies. Safe to run repeatedly: what is
# already in place is left alone, so a second run takes well under a second.
#   - CUTLASS/CuTe headers (PyPI nvidia-cutlass, pinned) into .deps/, exposed
#     as .deps/cutlass/include (the default of CMake's MLADEC_CUTLASS_DIR);
#   - GoogleTest from Debian (libgtest-dev), installed with apt-get when
#     running as root, otherwise the command to run is printed.
set -euo pipefail

readonly cutlass_version="4.2.0.0"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="${repo_root}/.deps"
pip_dir="${deps}/cutlass-pip"
cutlass_link="${deps}/cutlass"

install_cutlass() {
  local stamp="${pip_dir}/nvidia_cutlass-${cutlass_version}.dist-info"
  if [[ ! -d "${stamp}" ]]; then
    echo "install-deps: installing nvidia-cutlass==${cutlass_version} into ${pip_dir}"
    # Staged in a scratch folder and moved into place, so an interrupted
    # download never looks like a finished install. --no-deps: only the
    # headers are used, not the Python generator and its dependencies.
    local staging="${pip_dir}.partial"
    rm -rf "${staging}"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps \
      --target "${staging}" "nvidia-cutlass==${cutlass_version}"
    rm -rf "${pip_dir}"
    mv "${staging}" "${pip_dir}"
  fi
  if [[ ! -f "${pip_dir}/cutlass_library/source/include/cute/tensor.hpp" ]]; then
    echo "install-deps: ${pip_dir} has no cute/tensor.hpp under" \
         "cutlass_library/source/include; delete ${pip_dir} and rerun" >&2
    exit 1
  fi
  # Relative, so the checkout can move.
  ln -sfn "cutlass-pip/cutlass_library/source" "${cutlass_link}"
  echo "install-deps: CUTLASS ${cutlass_version} headers at ${cutlass_link}/include"
}

gtest_installed() {
  if command -v dpkg-query >/dev/null 2>&1; then
    [[ "$(dpkg-query -W -f='${Status}' libgtest-dev 2>/dev/null)" == \
       "install ok installed" ]]
  else
    [[ -f /usr/include/gtest/gtest.h ]]
  fi
}

install_gtest() {
  if gtest_installed; then
    echo "install-deps: GoogleTest (libgtest-dev) present"
    return
  fi
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: installing libgtest-dev with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgtest-dev
  else
    echo "install-deps: GoogleTest is missing; install it with" >&2
    echo "  sudo apt-get install -y libgtest-dev" >&2
    echo "or configure with -DMLADEC_BUILD_TESTS=OFF to build without tests" >&2
    exit 1
  fi
}

mkdir -p "${deps}"
install_cutlass
install_gtest
