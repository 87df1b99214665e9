"""Ctrl-C: a fit in a child process stops with KeyboardInterrupt soon after
SIGINT and leaves no model file."""

import os
import signal
import subprocess
import sys
import textwrap
import time

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    import smt

    rng = np.random.default_rng(0)
    X = rng.integers(0, 255, size=(1500, 32, 32), dtype=np.uint8)
    stage = sys.argv[2]

    def report(event, what, done, total, seconds):
        if event == "progress" and stage in what:
            print("RUNNING", flush=True)

    est = smt.SparseManifoldTransform(dict_size=2048, dict_threshold=0.9, embed_dim=8,
                                      threads=1, flip=False, verbose=report)
    try:
        if stage == "embedding":
            est.set_params(dict_size=64, verbose=False).fit(X[:50]).set_params(verbose=report)
            est.transform(np.concatenate([X] * 20))
        else:
            est.fit(X)
        est.save(sys.argv[1])
    except KeyboardInterrupt:
        print("KeyboardInterrupt caught", file=sys.stderr, flush=True)
        sys.exit(130)
    print("FINISHED", flush=True)
    """
)


def interrupt_during(stage, tmp_path):
    model = tmp_path / "m.smtm"
    env = dict(os.environ)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(model), stage],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = child.stdout.readline()
    assert line.strip() == "RUNNING", child.stderr.read()
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    # A hang guard only, not a speed requirement (BENCHMARKS.md has the latency).
    _, err = child.communicate(timeout=120)
    latency = time.monotonic() - sent
    print(f"{stage}: stopped {latency:.2f} s after SIGINT")
    assert child.returncode == 130, err
    assert "KeyboardInterrupt caught" in err
    assert not model.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file either


def test_sigint_stops_a_fit_during_coding(tmp_path):
    interrupt_during("coding training images", tmp_path)


def test_sigint_stops_a_transform(tmp_path):
    interrupt_during("embedding", tmp_path)
