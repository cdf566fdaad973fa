#!/usr/bin/env bash
# Configures and builds mladec (Release, Ninja, every core) into build/.
#   scripts/build.sh [--build-dir DIR] [--install PREFIX] [-DVAR=VALUE ...]
# -D options go to CMake, e.g. -DMLADEC_ENABLE_CUDA=OFF for a CPU-only build.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${repo_root}/build"
install_prefix=""
cmake_args=()

# usage STATUS: prints the header comment (to stderr for an error), exits.
usage() {
  sed -n '2,4s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&"$(($1 == 0 ? 1 : 2))"
  exit "$1"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) [[ $# -ge 2 ]] || usage 2; build_dir="$2"; shift 2 ;;
    --install) [[ $# -ge 2 ]] || usage 2; install_prefix="$2"; shift 2 ;;
    -D*) cmake_args+=("$1"); shift ;;
    -h|--help) usage 0 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

cmake -S "${repo_root}" -B "${build_dir}" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}"
cmake --build "${build_dir}" --parallel "$(nproc)"
if [[ -n "${install_prefix}" ]]; then
  cmake --install "${build_dir}" --prefix "${install_prefix}"
fi
