"""Each lesson's training at its ``gpu``-mode sizes, for a bounded number of steps, on the CPU
and on the GPU: how many examples a second each trains on.

    throughput = batch * steps / seconds       (timed after warm-up steps, which on a GPU
                                                compile the kernels)

The models, minibatches and optimizers are those of the lessons' ``gpu`` mode (Adam, as the
lessons use); the data are random, except Lesson 4's, which the Moving MNIST generator makes on
the device at every step, as the lesson does. The CPU usually runs far fewer steps than the GPU:
at these sizes one CPU step of Lesson 4 takes many seconds.
"""
import dataclasses
import functools
import math
import time

import numpy

import mlkit  # noqa: F401  (Chainer on this NumPy)
import chainer
import chainer.functions as F


@dataclasses.dataclass
class Training:
    lesson: str
    name: str
    make: object      # make(device) -> (step, batch); step() runs one update, returns the loss


def _random(device, rng, *shape, low=0.0, high=1.0):
    return device.send(rng.uniform(low, high, shape).astype(numpy.float32))


def _labels(device, rng, n, classes):
    return device.send(rng.integers(0, classes, n).astype(numpy.int32))


def _on(device, model):
    model.to_device(device)
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)
    return optimizer


def _updates(device, model, loss_of, batch):
    """``(step, batch)``: ``step()`` lowers ``loss_of()`` by one Adam update of ``model``."""
    optimizer = _on(device, model)

    def step():
        loss = loss_of()
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss
    return step, batch


def _xor(device):
    from mlkit.models.mlp import MLP
    rng = numpy.random.default_rng(0)
    x, t = _random(device, rng, 200, 2), _labels(device, rng, 200, 2)   # 50 copies of 4 rows
    model = MLP(n_hidden=8, n_out=2)
    return _updates(device, model, lambda: F.softmax_cross_entropy(model(x), t), 200)


def _mnist_cnn(device):
    from mlkit.models.cnn import CNN
    rng = numpy.random.default_rng(0)
    x, t = _random(device, rng, 128, 1, 28, 28), _labels(device, rng, 128, 10)
    model = CNN()
    return _updates(device, model, lambda: F.softmax_cross_entropy(model(x), t), 128)


def _regression(device):
    from mlkit.models.regression import MLPRegressor
    rng = numpy.random.default_rng(0)
    x, y = _random(device, rng, 64, 8), _random(device, rng, 64, 1)
    model = MLPRegressor(n_hidden=32, n_layers=2)
    return _updates(device, model, lambda: F.mean_squared_error(model(x), y), 64)


@functools.lru_cache(maxsize=1)
def moving_mnist():
    """The Moving MNIST generator, made once (it reads the digits)."""
    from mlkit.data.moving_mnist import MovingMnist
    return MovingMnist()


def _convlstm(device):
    from mlkit.models.convlstm import EncoderForecaster
    model, batch, seeds = EncoderForecaster(hidden=(128, 128), patch=4), 16, iter(range(10 ** 9))

    def loss_of():                          # fresh sequences every step, made on the device
        xp = device.xp
        frames = moving_mnist().generate(batch, seed=next(seeds), xp=xp)  # (20, B, 64, 64)
        frames = xp.ascontiguousarray(frames.transpose(1, 0, 2, 3)[:, :, None])
        frames = frames.astype(xp.float32) / 255
        return F.bernoulli_nll(frames[:, 10:], model(frames[:, :10], n_out=10)) / batch
    return _updates(device, model, loss_of, batch)


def _dcgan(device):
    from mlkit.models.dcgan import Discriminator, Generator
    rng = numpy.random.default_rng(0)
    gen, dis, batch = Generator(n_latent=100, width=64), Discriminator(width=64), 128
    gen_optimizer, dis_optimizer = _on(device, gen), _on(device, dis)
    real = _random(device, rng, batch, 1, 28, 28, low=-1)

    def step():
        z = _random(device, rng, batch, 100, low=-1)
        fake = gen(z)
        dis_loss = F.mean(F.softplus(-dis(real))) + F.mean(F.softplus(dis(fake.array)))
        dis.cleargrads()
        dis_loss.backward()
        dis_optimizer.update()
        gen_loss = F.mean(F.softplus(-dis(fake)))
        gen.cleargrads()
        gen_loss.backward()
        gen_optimizer.update()
        return gen_loss + dis_loss
    return step, batch


def _srresnet(device):
    from mlkit.models.srgan import Generator
    rng = numpy.random.default_rng(0)
    low, high = _random(device, rng, 16, 3, 24, 24), _random(device, rng, 16, 3, 96, 96)
    model = Generator(scale=4, n_blocks=16, channels=64, head_ksize=9, out_ksize=9)
    return _updates(device, model, lambda: F.mean_squared_error(model(low), high), 16)


TRAININGS = [
    Training("1", "XOR MLP, 8 hidden, batch 200", _xor),
    Training("2", "MNIST CNN, batch 128", _mnist_cnn),
    Training("3", "regression MLP, 2 x 32, batch 64", _regression),
    Training("4", "ConvLSTM 2 x 128, 10 -> 10 frames, batch 16", _convlstm),
    Training("5", "DCGAN width 64, D and G steps, batch 128", _dcgan),
    Training("6", "SRResNet x4, 16 blocks of 64, batch 16", _srresnet),
]


def measure(training, device, steps, warmup):
    """Examples a second of ``steps`` timed updates after ``warmup`` untimed ones; the last loss."""
    mlkit.seed(0)
    step, batch = training.make(device)
    with chainer.using_config("train", True):
        for _ in range(warmup):
            step()
        _synchronize(device)
        started = time.perf_counter()
        for _ in range(steps):
            loss = step()
        _synchronize(device)
    seconds = time.perf_counter() - started
    return batch * steps / seconds, float(loss.array)


def _synchronize(device):
    if device.xp is not numpy:
        device.xp.cuda.Stream.null.synchronize()


def run(gpu_steps=20, cpu_steps=1, trainings=TRAININGS, gpu=None, file=None):
    """Train each lesson's ``gpu``-mode model on the CPU (and on ``gpu``, a Chainer device, when
    given); print and return one row per lesson."""
    say = (lambda line: print(line, file=file, flush=True))
    cpu = chainer.get_device("@numpy")
    say(f"\ntraining at gpu-mode sizes: {cpu_steps} step(s) on the CPU"
        + (f", {gpu_steps} on the GPU" if gpu is not None else "") + " (examples a second)")
    say(f"{'lesson':<6}  {'training':<46}  {'cpu ex/s':>9}  {'gpu ex/s':>9}  {'gpu/cpu':>7}  ok")
    rows = []
    for training in trainings:
        row = {"lesson": training.lesson, "training": training.name, "cpu_rate": None,
               "gpu_rate": None, "ok": True, "error": ""}
        try:
            row["cpu_rate"], cpu_loss = measure(training, cpu, cpu_steps, warmup=0)
            losses = [cpu_loss]
            if gpu is not None:
                row["gpu_rate"], gpu_loss = measure(training, gpu, gpu_steps, warmup=2)
                losses.append(gpu_loss)
            if not all(math.isfinite(loss) for loss in losses):
                row.update(ok=False, error=f"the loss is not finite: {losses}")
        except Exception as error:  # noqa: BLE001 -- one broken lesson must not hide the others
            row.update(ok=False, error=f"{type(error).__name__}: {error}")
        rows.append(row)
        say(_format(row))
    return rows


def _format(row):
    def rate(value):
        return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.2f}"
    ratio = ("-" if row["gpu_rate"] is None or not row["cpu_rate"]
             else f"{row['gpu_rate'] / row['cpu_rate']:.1f}x")
    line = (f"{row['lesson']:<6}  {row['training']:<46}  {rate(row['cpu_rate']):>9}  "
            f"{rate(row['gpu_rate']):>9}  {ratio:>7}  {'yes' if row['ok'] else 'NO'}")
    return line + (f"\n        {row['error']}" if row["error"] else "")
