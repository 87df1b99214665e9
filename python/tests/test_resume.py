"""Resumable fits: `smt fit --checkpoint DIR` killed with SIGKILL at several
points (dictionary, inside the coding-and-statistics pass, in the
eigensolve), then `--resume`d, possibly more than once and with another
thread count, writes a model file byte-identical to an uninterrupted fit;
and a checkpoint is refused when the options or the data changed."""

import signal
import subprocess

import pytest

FIT = ["fit", "--train-limit", "800", "--flip", "true", "--dict-size", "2048",
       "--dict-threshold", "0.9", "--embed-dim", "600", "--neighborhood", "-1",
       "--batch-images", "100"]


def fit_args(smt_binary, mnist_dir, model, *extra):
    return [smt_binary, *FIT, "--data", mnist_dir, "--model", str(model), *extra]


@pytest.fixture(scope="module")
def reference(smt_binary, mnist_dir, tmp_path_factory):
    model = tmp_path_factory.mktemp("reference") / "ref.smtm"
    subprocess.run(fit_args(smt_binary, mnist_dir, model, "--threads", "1", "-q"), check=True)
    return model.read_bytes()


def run_until(args, marker, nth=1):
    """Starts args, and SIGKILLs it once `marker` has appeared nth times on stderr."""
    child = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen, count = [], 0
    for line in child.stderr:
        seen.append(line)
        if marker in line:
            count += 1
            if count == nth:
                break
    killed = child.poll() is None
    child.send_signal(signal.SIGKILL)
    child.communicate()
    assert killed, "the fit ended before the kill point:\n" + "".join(seen)
    assert child.returncode == -signal.SIGKILL
    return "".join(seen)


# (where, the log text after which the kill lands, which occurrence). Each
# batch of the pass is coded, then added to the statistics, so kills after
# different saves land in either.
IN_PASS = "checkpoint: saved (coding and statistics in progress"
KILLS = {
    "dictionary": ("dictionary (greedy)", 1),
    "pass-early": (IN_PASS, 1),
    "pass-late": (IN_PASS, 3),
    "pass-done": ("checkpoint: saved (coding and statistics done)", 1),
    "eigensolve": ("eigen solver: step 2", 1),
}


@pytest.mark.parametrize("where", list(KILLS))
def test_kill_and_resume_gives_the_same_model_bytes(smt_binary, mnist_dir, tmp_path, reference,
                                                    where):
    marker, nth = KILLS[where]
    ckpt, model = tmp_path / "ckpt", tmp_path / "m.smtm"
    args = fit_args(smt_binary, mnist_dir, model, "--checkpoint", str(ckpt),
                    "--checkpoint-every", "300", "--threads", "2")
    run_until(args, marker, nth)
    assert not model.exists()
    assert (ckpt / "fit.smtc").exists()
    r = subprocess.run(args + ["--resume", "--threads", "1"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "checkpoint: resuming from" in r.stderr, r.stderr
    assert model.read_bytes() == reference, f"resumed after a kill in {where}: other bytes"
    assert list(ckpt.iterdir()) == [], "the checkpoint outlived the model it stood for"


def test_two_kills_then_resume(smt_binary, mnist_dir, tmp_path, reference):
    ckpt, model = tmp_path / "ckpt", tmp_path / "m.smtm"
    args = fit_args(smt_binary, mnist_dir, model, "--checkpoint", str(ckpt),
                    "--checkpoint-every", "200", "--threads", "2")
    run_until(args, "checkpoint: saved (coding and statistics in progress", 1)
    log = run_until(args + ["--resume"], "checkpoint: saved (coding and statistics in progress", 2)
    assert "images coded)" in log
    subprocess.run(args + ["--resume", "-q"], check=True)
    assert model.read_bytes() == reference


def test_a_checkpoint_is_refused_for_other_options_or_data(smt_binary, mnist_dir, tmp_path):
    ckpt, model = tmp_path / "ckpt", tmp_path / "m.smtm"
    args = fit_args(smt_binary, mnist_dir, model, "--checkpoint", str(ckpt),
                    "--checkpoint-every", "300")
    run_until(args, "checkpoint: saved (coding and statistics in progress", 1)

    def refused(extra, *expected):
        r = subprocess.run(args + extra, capture_output=True, text=True)
        assert r.returncode == 1, r.stderr
        assert r.stderr.count("smt: error:") == 1, r.stderr
        for text in expected:
            assert text in r.stderr, r.stderr
        assert not model.exists()

    refused([], "already holds a checkpoint", "--resume")
    refused(["--resume", "--dict-threshold", "0.8"], "another configuration",
            "dict-threshold 0.9 there, 0.8 here")
    refused(["--resume", "--train-limit", "700"], "other training images", "800 images",
            "700 images")
    raw = bytearray((ckpt / "fit.smtc").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (ckpt / "fit.smtc").write_bytes(bytes(raw))
    refused(["--resume"], "fit.smtc")
