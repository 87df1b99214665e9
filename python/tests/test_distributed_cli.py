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
         "--knn-k", "10", "--threads", "1", "--shard-block", "32", "-q"]


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


def write_png(path, value):
    """A 12 x 12 grey PNG, written by hand (no imaging library needed)."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes([(value + 7 * x) % 256 for x in range(12)]) for _ in range(12))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", 12, 12, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_folder(root, n_train, n_test):
    for split, n in [("train", n_train), ("test", n_test)]:
        for c in ["a", "b"]:
            d = root / split / c
            d.mkdir(parents=True)
            for i in range(n):
                write_png(d / f"{i:03d}.png", (i * 37 + (c == "b") * 90) % 256)


TINY = ["--dict-size", "16", "--patch-size", "4", "--embed-dim", "4", "--knn-k", "3",
        "--dict-threshold", "0.95", "--threads", "1", "--shard-block", "32"]


def test_more_processes_than_image_blocks(smt_binary, tmp_path, mpi):
    # 40 training images are two 32-image blocks: processes 2..4 of 5 own no
    # training image and some own no test image; the result is one process's.
    root = tmp_path / "folder"
    write_folder(root, 20, 5)
    one = run_metrics([smt_binary, "run", "--data", str(root), *TINY, "-q"], tmp_path / "1.json")
    many = run_metrics(mpi + ["-np", "5", smt_binary, "run", "--data", str(root), *TINY, "-q"],
                       tmp_path / "5.json")
    assert many["top1"] == one["top1"] and many["top5"] == one["top5"]


def test_corrupt_file_in_one_shard_ends_every_process(smt_binary, tmp_path, mpi):
    import time

    root = tmp_path / "folder"
    write_folder(root, 40, 10)
    # Load order is class by class, names sorted: class b's last images are in
    # the last process's shard (80 images in blocks of 32 dealt round-robin:
    # 0..31, 32..63, 64..79 for three processes).
    bad = root / "train" / "b" / "039.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    out = tmp_path / "out"
    out.mkdir()
    start = time.monotonic()
    # The timeout only guards against a hang; the seconds are printed.
    child = subprocess.run(mpi + ["-np", "3", smt_binary, "fit", "--data", str(root), *TINY,
                                  "--model", str(out / "m.smtm")],
                           capture_output=True, text=True, timeout=300)
    print(f"every process ended {time.monotonic() - start:.2f} s after the start")
    assert child.returncode != 0
    assert "039.png" in child.stderr, child.stderr
    assert "process 2 of 3" in child.stderr, child.stderr
    assert list(out.iterdir()) == []
