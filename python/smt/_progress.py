"""What verbose=True prints: the C++ observer's events on sys.stderr."""

import sys


def stderr_reporter(event, what, done, total, seconds):
    if event == "log":
        line = what
    elif event == "progress":
        pct = 100.0 * done / total if total else 100.0
        line = f"{what}: {done}/{total} ({pct:.0f} %, {seconds:.1f} s)"
    else:  # finished
        line = f"{what}: {total} done in {seconds:.1f} s"
    print(f"smt: {line}", file=sys.stderr, flush=True)


def callback_for(verbose):
    """None (silent), the stderr reporter (verbose true), or the user's
    callable(event, what, done, total, seconds)."""
    if callable(verbose):
        return verbose
    return stderr_reporter if verbose else None
