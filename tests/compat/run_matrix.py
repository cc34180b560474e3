"""Run tests/compat in extra environments: NumPy 1.26; Python 3.10 and 3.12 with their newest
NumPy; Python 3.13 with the newest NumPy and a setuptools without pkg_resources. Called by
`make test` (target test-compat); the main suite covers Python 3.11 with the newest NumPy.

Each environment lives in .venv-compat/<job>/ and holds only chainer, numpy and pytest: the
compatibility layer needs nothing else, and small environments keep CI fast. An environment is
made once and reused. A job whose interpreter is missing fails under CI and is skipped (loudly)
on a learner's machine.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOME = REPO / ".venv-compat"


def find_python(version):
    """A working ``python<version>`` (pyenv's versions first, then PATH), or None."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    candidates.append(shutil.which(f"python{version}"))
    for candidate in filter(None, candidates):
        # a pyenv shim is on PATH even where its version is not selected: try it
        if subprocess.run([str(candidate), "--version"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


TEST_TOOLS = ["pytest", "pytest-timeout"]   # pyproject.toml's pytest settings name a timeout
# name: (interpreter, packages, then: packages installed without the build constraint)
JOBS = {
    "numpy1.26": (sys.executable, ["chainer==7.8.1", "numpy==1.26.*", *TEST_TOOLS], []),
    "python3.10": (find_python("3.10"), ["chainer==7.8.1", "numpy", *TEST_TOOLS], []),
    "python3.12": (find_python("3.12"), ["chainer==7.8.1", "numpy>=2", *TEST_TOOLS], []),
    "python3.13": (find_python("3.13"), ["chainer==7.8.1", "numpy>=2", *TEST_TOOLS],
                   ["setuptools>=82"]),
}


def run(command, **kwargs):
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run(command, check=True, **kwargs)


def prepare(name, interpreter, packages, unconstrained):
    venv = HOME / name
    stamp = venv / ".ready"
    if stamp.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    run([interpreter, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    run(pip + packages)
    if unconstrained:
        free = {k: v for k, v in os.environ.items()
                if k not in ("PIP_CONSTRAINT", "PIP_BUILD_CONSTRAINT")}
        run(pip + ["--upgrade"] + unconstrained, env=free)
    stamp.touch()
    return venv


def main():
    failed = []
    for name, (interpreter, packages, unconstrained) in JOBS.items():
        if interpreter is None:
            message = f"compat job {name}: no such interpreter found"
            if os.environ.get("CI"):
                failed.append(message)
            else:
                print(f"SKIPPED {message} (install one with pyenv to run it)")
            continue
        venv = prepare(name, interpreter, packages, unconstrained)
        python = str(venv / "bin" / "python")
        run([python, "-c", "import sys, numpy, setuptools; print('compat job', "
             f"'{name}:', sys.version.split()[0], 'numpy', numpy.__version__, "
             "'setuptools', setuptools.__version__)"])
        result = subprocess.run([python, "-m", "pytest", str(REPO / "tests" / "compat"), "-q",
                                 "-p", "no:cacheprovider", "-o", "addopts="], cwd=REPO)
        if result.returncode != 0:
            failed.append(f"compat job {name}: tests failed")
    if failed:
        sys.exit("\n".join(failed))


if __name__ == "__main__":
    main()
