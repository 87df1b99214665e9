"""examples/mnist_sklearn.py runs end to end (small sizes) and its classifiers beat chance."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent / ".." / ".." / "examples" / "mnist_sklearn.py"


def test_mnist_sklearn_example(tmp_path):
    data = os.environ.get("SMT_DATA_DIR")
    if not data:
        pytest.skip("SMT_DATA_DIR not set (scripts/test.sh sets it)")
    out = tmp_path / "features.png"
    r = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--data", data,
            "--train-limit", "300",
            "--test-limit", "100",
            "--dict-size", "256",
            "--threads", "2",
            "--out", str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, f"example failed:\n{r.stdout}\n{r.stderr}"

    assert out.is_file()
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Lines "  <classifier>   test accuracy 0.9123  (0.1 s)", one per classifier.
    pattern = re.compile(r"^\s*(\S.*?)\s+test accuracy ([0-9.]+)", re.MULTILINE)
    accuracies = {name: float(acc) for name, acc in pattern.findall(r.stdout)}
    assert len(accuracies) == 3, r.stdout
    for name, acc in accuracies.items():
        assert acc > 0.5, f"{name}: test accuracy {acc} (chance is 0.1)\n{r.stdout}"
