"""Test-wide settings: small sizes, no windows, and never the learner's real data cache."""
import os
import tempfile

os.environ.setdefault("MLKIT_MODE", "smoke")
os.environ.setdefault("MPLBACKEND", "Agg")
if "MLKIT_DATA" not in os.environ:
    # One throw-away cache for the whole run: tests and executed notebooks share it.
    os.environ["MLKIT_DATA"] = tempfile.mkdtemp(prefix="mlkit-test-cache-")
