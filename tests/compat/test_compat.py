"""The compatibility layer (mlkit/compat.py) on whatever Python and NumPy run this file.

`tests/compat/run_matrix.py` runs it on NumPy 1.26 and on the newest Python with NumPy 2;
`make test` runs it on the main environment too. These tests need only numpy, chainer, pytest.
"""
import os
import subprocess
import sys
import textwrap
import warnings

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(code):
    """Run ``code`` in a fresh interpreter with the repository on the path."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("CHAINER_WARN_VERSION_MISMATCH", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=300)


# Makes `import numpy.distutils` and `import pkg_resources` fail, as on Python >= 3.12 and with
# setuptools >= 82, whatever this environment really has.
BLOCK_MISSING_MODULES = """
import sys
sys.modules["pkg_resources"] = None
sys.modules["numpy.distutils"] = None
sys.modules["numpy.distutils.system_info"] = None
"""


def test_chainer_imports_without_pkg_resources_and_numpy_distutils():
    result = run_python(BLOCK_MISSING_MODULES + """
import mlkit, chainer
print("chainer", chainer.__version__)
""")
    assert result.returncode == 0, result.stderr
    assert "chainer 7.8.1" in result.stdout


def test_without_mlkit_the_same_import_fails():
    """Proves the test above tests something: chainer alone needs those modules."""
    result = run_python(BLOCK_MISSING_MODULES + "import chainer\n")
    assert result.returncode != 0
    assert any(word in result.stderr for word in ("pkg_resources", "distutils", "sctypes"))


def test_numpy_aliases_that_chainer_uses_exist():
    import numpy
    import mlkit  # noqa: F401
    assert numpy.float is float
    assert numpy.int32 in numpy.sctypes["int"] and numpy.float32 in numpy.sctypes["float"]


def test_version_mismatch_warning_is_silenced_but_can_be_overridden():
    result = run_python("import mlkit, os; print(os.environ['CHAINER_WARN_VERSION_MISMATCH'])")
    assert result.stdout.strip() == "0", result.stderr
    result = run_python("""
import os; os.environ['CHAINER_WARN_VERSION_MISMATCH'] = '1'
import mlkit; print(os.environ['CHAINER_WARN_VERSION_MISMATCH'])""")
    assert result.stdout.strip() == "1", result.stderr


def warned(message, module):
    """Whether a UserWarning from ``module`` reaches the learner (a fresh registry, so an
    earlier identical warning cannot hide it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit(message, UserWarning, f"{module}.py", 1, module=module,
                               registry={})
    return bool(caught)


@pytest.mark.parametrize("module, message", [
    ("chainer.backends.cuda", "cuDNN is not enabled.\nPlease reinstall CuPy after you install "
                              "cudnn\n(see https://docs-cupy.chainer.org/en/stable/install.html)"),
    ("cupy._environment", "\nnccl library could not be loaded.\n\nReason: ImportError "
                          "(libnccl.so.2: cannot open shared object file)"),
])
def test_cupy_14_warnings_that_do_not_apply_to_the_course_are_silenced(module, message):
    import mlkit.compat
    mlkit.compat.apply()   # as `import mlkit` did: pytest restores the filters after collection
    assert not warned(message, module)
    # Only those: the same module's other warnings, and the same words elsewhere, still show.
    assert warned("something else went wrong", module)
    assert warned(message, "mlkit.lessons")


def test_functions_that_needed_patches_run():
    import mlkit  # noqa: F401
    import numpy
    import chainer.functions as F
    x = numpy.arange(16, dtype=numpy.float32).reshape(1, 1, 4, 4)
    assert F.resize_images(x, (8, 8)).shape == (1, 1, 8, 8)
    strided = F.as_strided(numpy.arange(6, dtype=numpy.float32), (2, 2), (1, 1))  # in elements
    numpy.testing.assert_array_equal(strided.array, [[0, 1], [1, 2]])


def test_import_and_train_xor():
    """The smallest real training run: a 2-8-2 MLP learns XOR with Adam."""
    import mlkit
    import numpy
    import chainer
    import chainer.functions as F
    import chainer.links as L
    mlkit.seed(0)
    x = numpy.array([[0, 0], [0, 1], [1, 0], [1, 1]], numpy.float32)
    t = numpy.array([0, 1, 1, 0], numpy.int32)
    model = chainer.Sequential(L.Linear(2, 8), F.tanh, L.Linear(8, 2))
    optimizer = chainer.optimizers.Adam(0.05).setup(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no deprecation noise from the patched paths either
        for _ in range(300):
            loss = F.softmax_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
    assert float(loss.array) < 0.05
    assert (model(x).array.argmax(axis=1) == t).all()


@pytest.mark.parametrize("mode", ["smoke", "cpu", "gpu"])
def test_mode_and_device_helpers_import_without_the_rest_of_the_course(mode, monkeypatch):
    import mlkit
    monkeypatch.setenv("MLKIT_MODE", mode)
    assert mlkit.mode() == mode
    assert mlkit.by_mode(smoke=1, cpu=2, gpu=3) == {"smoke": 1, "cpu": 2, "gpu": 3}[mode]
