"""Faults on the command line: SIGINT and SIGTERM stop it with exit 130 / 143
and one message, whichever stage was running; a full disk (a file-size limit
here) gives one clear error; neither leaves an output or temporary file."""

import resource
import signal
import subprocess
import time

import pytest

STAGES = {
    # (command, the log text after which the stage of interest is running)
    "coding": ("fit", "coding training images"),
    "eigensolver": ("fit", "eigenproblem:"),
    "knn": ("run", "eigenproblem solved"),
}


@pytest.mark.parametrize("stage,sig", [("coding", signal.SIGINT), ("coding", signal.SIGTERM),
                                       ("eigensolver", signal.SIGTERM), ("knn", signal.SIGINT)],
                         ids=["coding-SIGINT", "coding-SIGTERM", "eigensolver-SIGTERM",
                              "knn-SIGINT"])
def test_signal_stops_the_cli_cleanly(smt_binary, mnist_dir, tmp_path, stage, sig):
    command, marker = STAGES[stage]
    out = tmp_path / "out"
    out.mkdir()
    args = [smt_binary, command, "--data", mnist_dir, "--train-limit", "1000",
            "--test-limit", "1500", "--dict-size", "2048", "--dict-threshold", "0.9",
            "--embed-dim", "600", "--skip", "1", "--neighborhood", "-1", "--flip", "true",
            "--threads", "1", "--metrics", str(out / "m.json")]
    if command == "fit":
        args += ["--model", str(out / "m.smtm")]
    child = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = []
    for line in child.stderr:
        seen.append(line)
        if marker in line:
            break
    assert child.poll() is None, "".join(seen)
    sent = time.monotonic()
    child.send_signal(sig)
    # A hang guard only, not a speed requirement (BENCHMARKS.md has the latency).
    _, err = child.communicate(timeout=300)
    print(f"{stage}: stopped {time.monotonic() - sent:.2f} s after {sig.name}")
    assert child.returncode == 128 + sig, "".join(seen) + err
    assert f"stopped by {sig.name}; no output file was written" in err, err
    assert list(out.iterdir()) == [], "files left behind"


@pytest.mark.parametrize("what", ["model", "metrics", "features"])
def test_full_disk_gives_one_error_and_no_file(smt_binary, mnist_dir, tmp_path, what):
    out = tmp_path / "out"
    out.mkdir()
    common = ["--data", mnist_dir, "--train-limit", "300", "--test-limit", "300",
              "--dict-size", "512", "--dict-threshold", "0.9", "--embed-dim", "16", "-q"]
    if what == "features":
        model = tmp_path / "m.smtm"
        subprocess.run([smt_binary, "fit", *common, "--model", str(model)], check=True)
        args = ["embed", "--data", mnist_dir, "--model", str(model), "--out", str(out / "f.npy"),
                "-q"]
    elif what == "metrics":
        args = ["run", *common, "--metrics", str(out / "m.json")]
    else:
        args = ["fit", *common, "--model", str(out / "m.smtm")]
    limit = 1024 if what == "metrics" else 16 * 1024  # bytes a file may have

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run([smt_binary, *args], capture_output=True, text=True,
                       preexec_fn=small_files)
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("smt: error:") == 1, r.stderr
    assert "file-size limit" in r.stderr and "free space" in r.stderr, r.stderr
    assert list(out.iterdir()) == [], "files left behind"
