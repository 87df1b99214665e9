"""The distributed mode from the command line (`mpirun -np N smt ...`): the
same accuracy, predictions-level agreement and model files a one-process
`smt embed` can use; an error on one process (a damaged image in its shard)
ends every process promptly with that process's message. Skipped when this
smt was built without MPI or mpirun is missing."""

import json
import shutil
import subprocess

import numpy as np
import pytest

MPIRUN = shutil.which("mpirun")


def mpi_build(smt_binary):
    out = subprocess.run([smt_binary, "--version"], capture_output=True, text=True).stdout
    return "MPI" in out and "without MPI" not in out


@pytest.fixture
def mpi(smt_binary):
    if MPIRUN is None or not mpi_build(smt_binary):
        pytest.skip("no MPI: smt built without it, or mpirun missing")
    return [MPIRUN, "--allow-run-as-root", "--oversubscribe"]


SMALL = ["--train-limit", "300", "--test-limit", "200", "--dict-size", "256",
         "--dict-threshold", "0.9", "--embed-dim", "24", "--patch-size", "6",
         "--whiten-tol", "1", "--neighborhood", "-1", "--pool-window", "4", "--pool-stride", "2",
         "--knn-k", "10", "--threads", "1", "-q"]


def run_metrics(cmd, path):
    subprocess.run(cmd + ["--metrics", str(path)], check=True, capture_output=True)
    return json.loads(path.read_text())


@pytest.mark.parametrize("np_", [2, 3])
def test_run_gives_the_one_process_accuracy(smt_binary, mnist_dir, tmp_path, mpi, np_):
    one = run_metrics([smt_binary, "run", "--data", mnist_dir, *SMALL], tmp_path / "one.json")
    many = run_metrics(mpi + ["-np", str(np_), smt_binary, "run", "--data", mnist_dir, *SMALL],
                       tmp_path / "many.json")
    assert many["top1"] == one["top1"] and many["top5"] == one["top5"]
    assert many["train_images"] == one["train_images"] == 300
    assert many["process_count"] == np_
    assert len(many["processes"]) == np_
    assert many["peak_rss_bytes_max_over_processes"] > 0
    # Every shard contributed training codes and k-NN work.
    assert all(p["communication_total"]["bytes"] > 0 for p in many["processes"])


@pytest.mark.parametrize("np_", [2, 3])
def test_distributed_model_is_usable_by_one_process(smt_binary, mnist_dir, tmp_path, mpi, np_):
    one_model, many_model = tmp_path / "one.smtm", tmp_path / "many.smtm"
    subprocess.run([smt_binary, "fit", "--data", mnist_dir, *SMALL, "--model", str(one_model)],
                   check=True)
    subprocess.run(mpi + ["-np", str(np_), smt_binary, "fit", "--data", mnist_dir, *SMALL,
                          "--model", str(many_model)], check=True)
    feats = {}
    for name, model in [("one", one_model), ("many", many_model)]:
        out = tmp_path / f"{name}.npy"
        subprocess.run([smt_binary, "embed", "--data", mnist_dir, "--model", str(model),
                        "--test-limit", "200", "--out", str(out), "-q"], check=True)
        feats[name] = np.load(out)
    assert feats["one"].shape == feats["many"].shape
    # Whitening and dictionary are identical; P comes from V and L that agree
    # to 1e-12, so the features agree to rounding.
    np.testing.assert_allclose(feats["many"], feats["one"], rtol=0, atol=1e-4)
    # And the distributed embed writes the one-process embed's bytes.
    dist = tmp_path / "dist.npy"
    subprocess.run(mpi + ["-np", str(np_), smt_binary, "embed", "--data", mnist_dir, "--model",
                          str(one_model), "--test-limit", "200", "--out", str(dist), "-q"],
                   check=True)
    assert dist.read_bytes() == (tmp_path / "one.npy").read_bytes()


def test_corrupt_file_in_one_shard_ends_every_process(smt_binary, tmp_path, mpi):
    import zlib
    import struct

    def png(path, value):
        raw = b"".join(b"\x00" + bytes([value] * 12) for _ in range(12))
        def chunk(kind, data):
            c = kind + data
            return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12, 12, 8, 0, 0, 0, 0))
                         + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

    root = tmp_path / "folder"
    for split, n in [("train", 40), ("test", 10)]:
        for c in ["a", "b"]:
            d = root / split / c
            d.mkdir(parents=True)
            for i in range(n):
                png(d / f"{i:03d}.png", (i * 37 + (c == "b") * 90) % 256)
    # Load order is class by class, names sorted: class b's last images are in
    # the last process's shard (80 images: 32, 32, 16 for three processes).
    bad = root / "train" / "b" / "039.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.run(mpi + ["-np", "3", smt_binary, "fit", "--data", str(root),
                                  "--dict-size", "16", "--patch-size", "4", "--embed-dim", "4",
                                  "--threads", "1", "--model", str(out / "m.smtm")],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode != 0
    assert "039.png" in child.stderr, child.stderr
    assert "process 2 of 3" in child.stderr, child.stderr
    assert list(out.iterdir()) == []
