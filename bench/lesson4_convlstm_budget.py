"""Lesson 4's ConvLSTM settings compared on a fixed CPU-time budget (the cpu mode's question: how
good a model do about five minutes of 2 busy cores buy?).

Each run trains one setting for ``--budget`` seconds of this process's CPU time (BLAS limited to
one thread, as the lesson does; CPU time rather than wall time, so that the load of other jobs on
a shared machine changes the result less), then scores it on the lesson's held-out test set: 200
sequences of MNIST-test digits made by ``MovingMnist(split="test").generate(200, seed=2)``; MSE
summed over the 64x64 pixels of a frame, averaged over the 10 predicted frames and the sequences.
Training data: the lesson's stream, ``MovingMnistDataset(100_000, seed=1)``, batch i = sequences
i*B ... i*B + B - 1. Prints one JSON line per run and appends it to ``--out``.

    nice -n 5 .venv/bin/python bench/lesson4_convlstm_budget.py --name M2 --budget 300 \
        --teacher 0.5 --loss mse --cfg '{"motion": 9, "sep": true}'

Settings (``--cfg``, JSON keyword arguments of ``Net``): ``layout`` "ef" (the lesson's
encoder-forecaster: separate encoder and forecaster stacks) or "single" (one stack reads and
forecasts, PredRNN-style); ``patch``, ``embed``, ``hidden``, ``k`` as in
``mlkit.models.convlstm.EncoderForecaster``; ``motion`` K > 0: the motion head (the frame is the
step's input frame moved by per-patch displacement distributions over -K//2 ... K//2 pixels),
``sep`` true: separable (a horizontal and a vertical distribution, as the library's
``move_frame``), false: one K x K distribution; ``comp``: also draw a frame and blend it in by a
learned mask. Training: ``--all-steps`` (the encoder steps also predict their next frame),
``--teacher F`` (scheduled sampling from 1 to 0 over the first fraction F of the budget),
``--loss bce|mse``, ``--lr``, ``--decay none|cos|lin``, ``--batch``, ``--clip``.
Results of 2026-11-30: bench/RESULTS.md, Lesson 4.
"""
import argparse, json, math, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
import mlkit
import chainer, chainer.functions as F, chainer.links as L
from mlkit.data import MovingMnist, MovingMnistDataset
from mlkit.metrics import frame_mse


def gates_step(conv, x, state, hidden):
    if state is None:
        z = np.zeros((x.shape[0], hidden) + x.shape[2:], np.float32)
        state = (z, z)
    h, c = state
    i, f, o, g = F.split_axis(conv(F.concat((x, h), axis=1)), 4, axis=1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    return F.sigmoid(o) * F.tanh(c), c


class Cell(chainer.Chain):
    def __init__(self, cin, hid, k):
        super().__init__()
        self.hid = hid
        b = np.zeros(4 * hid, np.float32); b[hid:2 * hid] = 1
        with self.init_scope():
            self.conv = L.Convolution2D(cin + hid, 4 * hid, k, pad=k // 2, initial_bias=b)

    def forward(self, x, state):
        return gates_step(self.conv, x, state, self.hid)


class Net(chainer.Chain):
    def __init__(self, patch=8, embed=32, hidden=(32,), k=3, layout="ef", stem_k=1,
                 feed="pred", skip=False, head_k=1, motion=0, sep=False, comp=False):
        super().__init__()
        self.patch, self.hidden, self.layout, self.feed, self.skip = patch, tuple(hidden), layout, feed, skip
        self.motion, self.sep, self.comp = motion, sep, comp
        depth = patch * patch
        width = depth if not embed else embed
        with self.init_scope():
            self.embed = L.Convolution2D(depth, embed, stem_k, pad=stem_k // 2) if embed else None
            sizes = (width,) + self.hidden
            self.enc = chainer.ChainList(*[Cell(a, b, k) for a, b in zip(sizes[:-1], sizes[1:])])
            if layout == "ef":
                self.fc = chainer.ChainList(*[Cell(a, b, k) for a, b in zip(sizes[:-1], sizes[1:])])
            # skip: the head also sees the input patches of this step
            hin = self.hidden[-1] + (depth if skip else 0)
            if motion:
                nk = 2 * motion if sep else motion * motion
                b = np.zeros(nk, np.float32)
                if sep:
                    b[motion // 2] = b[motion + motion // 2] = 2.0
                else:
                    b[nk // 2] = 2.0
                self.head = L.Convolution2D(hin, nk + (2 * depth if comp else 0), head_k, pad=head_k // 2, initial_bias=np.concatenate([b, np.zeros(2 * depth if comp else 0, np.float32)]))
            else:
                self.head = L.Convolution2D(hin, depth, head_k, pad=head_k // 2)

    def prob(self, y):
        return y if self.motion else F.sigmoid(y)

    def emb(self, p):
        return p if self.embed is None else self.embed(p)

    def stack(self, cells, x, states):
        new, h = [], x
        for cell, s in zip(cells, states):
            h, c = cell(h, s); new.append((h, c))
        return h, new

    def out(self, top, p):
        y = self.head(F.concat((top, p), axis=1) if self.skip else top)
        if not self.motion:
            return y
        K, P = self.motion, self.patch
        frame = F.depth2space(p, P)
        nk = 2 * K if self.sep else K * K
        w = y[:, :nk]
        if self.sep:
            wy = F.unpooling_2d(F.softmax(w[:, :K], axis=1), P, cover_all=False)
            wx = F.unpooling_2d(F.softmax(w[:, K:], axis=1), P, cover_all=False)
            g = F.sum(wx * F.im2col(frame, (1, K), pad=(0, K // 2)), axis=1, keepdims=True)
            warped = F.sum(wy * F.im2col(g, (K, 1), pad=(K // 2, 0)), axis=1, keepdims=True)
        else:
            w = F.unpooling_2d(F.softmax(w, axis=1), P, cover_all=False)
            warped = F.sum(w * F.im2col(frame, K, pad=K // 2), axis=1, keepdims=True)
        warped = F.space2depth(warped, P)
        if self.comp:
            d = p.shape[1]
            m = F.sigmoid(y[:, nk:nk + d]); gen = F.sigmoid(y[:, nk + d:])
            warped = m * gen + (1 - m) * warped
        return warped

    def forward(self, seq, n_in=10, n_out=10, teacher=0.0, all_steps=False):
        """seq (B, T, 1, 64, 64) with T >= n_in (true future used only for teacher forcing).
        Returns list of logits patches for frames (1..n_in+n_out-1 if all_steps else n_in..)."""
        B = seq.shape[0]
        frames = [F.space2depth(seq[:, t], self.patch).array for t in range(seq.shape[1])]
        states = [None] * len(self.hidden)
        outs = []
        for t in range(n_in):
            top, states = self.stack(self.enc, self.emb(frames[t]), states)
            if all_steps and t < n_in - 1:
                outs.append(self.out(top, frames[t]))
        prev = frames[n_in - 1]
        cells = self.fc if self.layout == "ef" else self.enc
        if self.layout == "single":
            logits = self.out(top, frames[n_in - 1]); outs.append(logits)
            prev = self.prob(logits)
            steps = n_out - 1
        else:
            steps = n_out
        for s in range(steps):
            if teacher > 0 and len(frames) > n_in + (n_out - steps) + s - 1:
                true = frames[n_in + (n_out - steps) + s - 1]
                use = (np.random.random_sample((B, 1, 1, 1)) < teacher).astype(np.float32)
                prev = use * true + (1 - use) * prev
            inp = prev if self.feed == "pred" else prev * 0
            top, states = self.stack(cells, self.emb(inp), states)
            logits = self.out(top, inp); outs.append(logits)
            prev = self.prob(logits)
        return outs


def predict(model, x, n_out=10, bs=50):
    res = []
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for i in range(0, len(x), bs):
            outs = model(x[i:i + bs], n_out=n_out)
            res.append(np.stack([F.depth2space(model.prob(o), model.patch).array for o in outs[-n_out:]], 1))
    return np.concatenate(res)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="run")
    ap.add_argument("--cfg", default="{}", help="Net kwargs as JSON")
    ap.add_argument("--budget", type=float, default=300, help="CPU seconds of training")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--decay", default="none", help="none|cos|lin (to 0.05 of lr at budget)")
    ap.add_argument("--loss", default="bce")
    ap.add_argument("--all-steps", action="store_true")
    ap.add_argument("--teacher", type=float, default=0.0, help="fraction of budget for scheduled sampling 1->0")
    ap.add_argument("--clip", type=float, default=0)
    ap.add_argument("--n-test", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=float, default=0, help="also eval (100 seqs) every this many CPU s")
    ap.add_argument("--out", help="also append the JSON line to this file")
    a = ap.parse_args()
    threadpool_limits(1)
    cfg = json.loads(a.cfg)
    mlkit.seed(a.seed)
    model = Net(**cfg)
    opt = chainer.optimizers.Adam(alpha=a.lr)
    opt.setup(model)
    if a.clip:
        opt.add_hook(chainer.optimizer_hooks.GradientClipping(a.clip))
    train = MovingMnistDataset(100_000, seed=1)
    test = MovingMnist(split="test", quiet=True).generate(a.n_test, seed=2).transpose(1, 0, 2, 3)[:, :, None]
    test = test.astype(np.float32) / 255
    c0, w0 = time.process_time(), time.perf_counter()
    it, hist, evals = 0, [], []
    next_eval = a.eval_every
    while True:
        used = time.process_time() - c0
        if used >= a.budget:
            break
        frac = used / a.budget
        if a.decay == "cos":
            opt.alpha = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        elif a.decay == "lin":
            opt.alpha = a.lr * (1 - 0.95 * frac)
        teacher = max(0.0, 1 - frac / a.teacher) if a.teacher else 0.0
        seq = np.stack([train[i] for i in range(it * a.batch, (it + 1) * a.batch)])
        outs = model(seq, teacher=teacher, all_steps=a.all_steps)
        first = 20 - len(outs)
        tt = [F.space2depth(seq[:, first + j], model.patch).array for j in range(len(outs))]
        lo = F.concat(outs, 0); ta = np.concatenate(tt, 0)
        if a.loss == "bce" and not model.motion:
            loss = F.bernoulli_nll(ta, lo) / a.batch
        elif a.loss == "bce":
            q = F.clip(lo, 1e-4, 1 - 1e-4)
            loss = -F.sum(ta * F.log(q) + (1 - ta) * F.log(1 - q)) / a.batch
        elif a.loss == "mse":
            loss = F.sum((model.prob(lo) - ta) ** 2) / a.batch
        model.cleargrads(); loss.backward(); opt.update()
        hist.append(float(loss.array) / len(outs)); it += 1
        if a.eval_every and used >= next_eval:
            next_eval += a.eval_every
            m = frame_mse(predict(model, test[:100, :10]), test[:100, 10:])
            evals.append((it, round(used), round(m, 1)))
            print(f"  [{a.name}] it {it} cpu {used:.0f}s loss {np.mean(hist[-50:]):.1f} test100 {m:.1f}", flush=True)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    pred = predict(model, test[:, :10])
    mse = frame_mse(pred, test[:, 10:])
    steps = [round(frame_mse(pred[:, j], test[:, 10 + j]), 1) for j in range(10)]
    r = dict(name=a.name, cfg=cfg, batch=a.batch, lr=a.lr, decay=a.decay, loss=a.loss, all_steps=a.all_steps,
             teacher=a.teacher, clip=a.clip, updates=it, cpu=round(cpu), wall=round(wall), mse=round(mse, 1),
             steps=steps, evals=evals, params=int(sum(p.size for p in model.params())),
             s_per_update=round(cpu / it, 3))
    print(json.dumps(r), flush=True)
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
