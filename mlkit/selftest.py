"""``mlkit selftest``: does every lesson's core run on this machine's GPU, and agree with the CPU?

For each piece (a lesson's model forward and backward plus one optimizer step, the Moving MNIST
generator, the metrics) the same computation runs from the same seed on NumPy and on CuPy::

    result_cpu = piece(numpy device)      result_gpu = piece(cupy device)
    max |result_cpu - result_gpu| / (1 + max |result_cpu|)  <=  the piece's float32 tolerance

(the Moving MNIST generator, whose output is integers, counts differing pixels instead), and
the table shows the difference and the time per step on each device. Then each lesson's
training runs at its ``gpu``-mode sizes for a bounded number of steps on each device
(:mod:`mlkit.throughput`) and reports its throughput (examples per second).
Without a GPU it says so in one line and runs the CPU half, so the CPU column still checks that
every piece runs.
"""
import dataclasses
import time

import numpy

import mlkit  # noqa: F401  (Chainer on this NumPy)
import chainer
import chainer.functions as F


def relative_difference(a, b):
    """max |a - b| / (1 + max |a|) over every array of two results."""
    worst = 0.0
    for key in a:
        x, y = a[key].astype(numpy.float64), b[key].astype(numpy.float64)
        if x.size:
            worst = max(worst, float(numpy.abs(x - y).max() / (1 + numpy.abs(x).max())))
    return worst


def share_differing(a, b):
    """The share of entries that differ at all (for integer output such as video frames)."""
    return max(float((a[k] != b[k]).mean()) if a[k].size else 0.0 for k in a)


@dataclasses.dataclass
class Piece:
    lesson: str
    name: str
    run: object            # run(device, seed) -> dict of NumPy arrays (what is compared)
    tolerance: float       # largest allowed difference, CPU against GPU
    examples: int          # examples processed by one run (for the throughput)
    compare: object = relative_difference


def _host(value):
    return numpy.asarray(chainer.backend.CpuDevice().send(getattr(value, "array", value)))


def _step(model, loss, device):
    """Backward and one SGD step (linear in the gradient, so float noise stays noise); the
    loss, gradients and new weights as host arrays."""
    optimizer = chainer.optimizers.MomentumSGD(lr=0.01)
    optimizer.setup(model)
    model.cleargrads()
    loss.backward()
    grads = {f"grad{name}": _host(p.grad) for name, p in model.namedparams()}
    optimizer.update()
    weights = {f"new{name}": _host(p.array) for name, p in model.namedparams()}
    return {"loss": _host(loss), **grads, **weights}


def _data(device, seed, *shape, low=0.0, high=1.0):
    rng = numpy.random.default_rng(seed)
    return device.send(rng.uniform(low, high, shape).astype(numpy.float32))


def _labels(device, seed, n, classes):
    return device.send(numpy.random.default_rng(seed + 1).integers(0, classes, n)
                       .astype(numpy.int32))


def _made(make, device, seed):
    """A model with the same initial weights on every device: made on the CPU from ``seed``."""
    mlkit.seed(seed)
    model = make()
    model.to_device(device)
    return model


def _xor_mlp(device, seed):
    from mlkit.models.mlp import MLP
    model = _made(lambda: MLP(n_hidden=8, n_out=2), device, seed)
    x, t = _data(device, seed, 64, 2), _labels(device, seed, 64, 2)
    return _step(model, F.softmax_cross_entropy(model(x), t), device)


def _mnist_cnn(device, seed):
    from mlkit.models.cnn import CNN
    model = _made(lambda: CNN(), device, seed)
    x, t = _data(device, seed, 32, 1, 28, 28), _labels(device, seed, 32, 10)
    with chainer.using_config("train", False):     # no dropout: the same function on both
        loss = F.softmax_cross_entropy(model(x), t)
    return _step(model, loss, device)


def _regression(device, seed):
    from mlkit.models.regression import MLPRegressor
    model = _made(lambda: MLPRegressor(n_hidden=32, n_layers=2), device, seed)
    x, y = _data(device, seed, 64, 10), _data(device, seed + 2, 64, 1)
    return _step(model, F.mean_squared_error(model(x), y), device)


def _convlstm(device, seed):
    from mlkit.models.convlstm import EncoderForecaster
    model = _made(lambda: EncoderForecaster(hidden=(16,), patch=4), device, seed)
    x = _data(device, seed, 4, 10, 1, 64, 64)
    target = _data(device, seed + 3, 4, 10, 1, 64, 64)
    return _step(model, F.mean_squared_error(model(x, n_out=10), target), device)


def _moving_mnist(device, seed):
    from mlkit.throughput import moving_mnist
    return {"frames": _host(moving_mnist().generate(64, seed=seed, xp=device.xp))}


def _dcgan(device, seed):
    from mlkit.models.dcgan import Discriminator, Generator
    gen = _made(lambda: Generator(n_latent=16, width=16), device, seed)
    dis = _made(lambda: Discriminator(width=16), device, seed + 1)
    z = _data(device, seed, 16, 16, low=-1)
    with chainer.using_config("train", False):
        score = dis(gen(z))
    return _step(gen, F.mean(F.softplus(-score)), device)


def _augment(device, seed):
    from mlkit.training.gan import shift_and_scale
    images = _data(device, seed, 32, 1, 28, 28, low=-1)
    return {"moved": _host(shift_and_scale(images, rng=seed))}


def _srresnet(device, seed):
    from mlkit.models.srgan import Generator
    model = _made(lambda: Generator(scale=2, n_blocks=2, channels=16), device, seed)
    low, high = _data(device, seed, 2, 3, 24, 24), _data(device, seed + 4, 2, 3, 48, 48)
    with chainer.using_config("train", False):
        loss = F.mean_squared_error(model(low), high)
    return _step(model, loss, device)


def _metrics(device, seed):
    from mlkit.metrics import accuracy
    scores, labels = _data(device, seed, 256, 10), _labels(device, seed, 256, 10)
    frames_a, frames_b = _data(device, seed, 8, 64, 64), _data(device, seed + 5, 8, 64, 64)
    mse = F.sum(F.squared_difference(frames_a, frames_b)) / 8
    return {"accuracy": numpy.asarray(accuracy(scores, labels)), "frame_mse": _host(mse)}


PIECES = [
    Piece("1", "XOR MLP: forward, backward, SGD step", _xor_mlp, 1e-5, 64),
    Piece("2", "MNIST CNN: forward, backward, SGD step", _mnist_cnn, 1e-4, 32),
    Piece("3", "regression MLP: forward, backward, SGD step", _regression, 1e-5, 64),
    Piece("4", "Moving MNIST generator (64 sequences)", _moving_mnist, 1e-3, 64,
          share_differing),
    Piece("4", "ConvLSTM forecaster: forward, backward, SGD step", _convlstm, 1e-4, 4),
    Piece("5", "DCGAN generator through discriminator: step", _dcgan, 1e-4, 16),
    Piece("5", "vectorizer augmentation: shift and zoom (32 images)", _augment, 1e-5, 32),
    Piece("6", "SRResNet x2: forward, backward, SGD step", _srresnet, 1e-4, 2),
    Piece("*", "metrics: accuracy, summed frame MSE", _metrics, 1e-4, 256),
]


def _timed(piece, device, seed, repeats):
    piece.run(device, seed)                      # warm up (kernels compile on a GPU)
    started = time.perf_counter()
    for _ in range(repeats):
        result = piece.run(device, seed)
    if device.xp is not numpy:
        device.xp.cuda.Stream.null.synchronize()
    return result, (time.perf_counter() - started) / repeats


def run(repeats=3, seed=0, pieces=PIECES, file=None, trainings=None, gpu_steps=20,
        cpu_steps=1):
    """Run every piece on the CPU (and the GPU when there is one), then each lesson's training
    at gpu-mode sizes (:mod:`mlkit.throughput`; ``trainings=()`` leaves it out); print the
    tables and return all the rows."""
    from mlkit import throughput
    from mlkit.device import gpu_available, gpu_problem
    say = (lambda line: print(line, file=file, flush=True))
    cpu = chainer.get_device("@numpy")
    gpu = chainer.get_device("@cupy:0") if gpu_available() else None
    rows = []
    if gpu is None:
        problem = gpu_problem()
        say("mlkit selftest: " + (problem if problem else "no GPU here (CuPy does not see one)")
            + ": running the CPU half only")
        if problem:   # a GPU that is there but cannot be used fails the self-test
            rows.append({"lesson": "-", "piece": "the GPU", "ok": False, "error": problem})
    say(f"{'lesson':<6}  {'piece':<52}  {'difference':>13}  {'tolerance':>9}  "
        f"{'cpu ms':>8}  {'gpu ms':>8}  {'cpu ex/s':>9}  {'gpu ex/s':>9}  ok")
    for piece in pieces:
        row = {"lesson": piece.lesson, "piece": piece.name, "difference": None,
               "gpu_seconds": None, "ok": True, "error": ""}
        try:
            on_cpu, row["cpu_seconds"] = _timed(piece, cpu, seed, repeats)
            if gpu is not None:
                on_gpu, row["gpu_seconds"] = _timed(piece, gpu, seed, repeats)
                row["difference"] = piece.compare(on_cpu, on_gpu)
                row["ok"] = row["difference"] <= piece.tolerance
        except Exception as error:  # noqa: BLE001 -- one broken piece must not hide the others
            row.update(ok=False, error=f"{type(error).__name__}: {error}",
                       cpu_seconds=row.get("cpu_seconds"))
        rows.append(row)
        say(_format(piece, row))
    trainings = throughput.TRAININGS if trainings is None else trainings
    if trainings:
        rows += throughput.run(gpu_steps, cpu_steps, trainings, gpu=gpu, file=file)
    failed = [r for r in rows if not r["ok"]]
    say(f"{len(rows) - len(failed)} passed, {len(failed)} failed")
    return rows


def _format(piece, row):
    def ms(seconds):
        return "-" if seconds is None else f"{1000 * seconds:.1f}"

    def rate(seconds):
        return "-" if not seconds else f"{piece.examples / seconds:.0f}"

    difference = "-" if row["difference"] is None else f"{row['difference']:.2e}"
    line = (f"{piece.lesson:<6}  {piece.name:<52}  {difference:>13}  {piece.tolerance:>9.0e}  "
            f"{ms(row.get('cpu_seconds')):>8}  {ms(row['gpu_seconds']):>8}  "
            f"{rate(row.get('cpu_seconds')):>9}  {rate(row['gpu_seconds']):>9}  "
            f"{'yes' if row['ok'] else 'NO'}")
    return line + (f"\n        {row['error']}" if row["error"] else "")
