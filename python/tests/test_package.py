"""The installed package: imports without torch, metadata from the project."""

import importlib.metadata
import pathlib
import pickle
import re
import subprocess
import sys

import pytest

import mladec

REPO = pathlib.Path(__file__).resolve().parents[2]


def installed_metadata():
    try:
        return importlib.metadata.metadata("mladec")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mladec is not pip-installed (a build tree on PYTHONPATH)")


def test_import_does_not_import_torch():
    code = "import sys, mladec; print('torch' in sys.modules, 'cupy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["False", "False"]


def test_version_is_the_cmake_project_version():
    cmake = (REPO / "CMakeLists.txt").read_text()
    version = re.search(r"project\(mladec VERSION ([0-9.]+)", cmake).group(1)
    assert mladec.__version__ == version
    assert installed_metadata()["Version"] == version


def test_metadata_license_and_readme():
    metadata = installed_metadata()
    assert metadata["License-Expression"] == "MIT"
    assert "# mladec" in metadata["Description"]
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_error_carries_message_and_code_and_pickles():
    error = mladec.Error("bad_batch: batch must be in [1, 1048576], got 0", "bad_batch")
    assert isinstance(error, RuntimeError)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.code) == (str(error), error.code)


def test_public_names_exist():
    for name in mladec.__all__:
        assert hasattr(mladec, name), name
