"""Video prediction models for Lesson 4: a ConvLSTM cell (Shi et al. 2015), an encoder-forecaster
built from it, and a memoryless per-frame conv encoder-decoder to compare it with.

Frames are handled as **patches**: ``F.space2depth(x, p)`` turns a (B, 1, 64, 64) frame into
(B, p*p, 64/p, 64/p), so the recurrent convolutions run on a 16x16 grid (p = 4) instead of 64x64:
16 times fewer positions, which is what makes training on a CPU possible (the trick of
PredRNN's and OpenSTL's Moving MNIST configurations). ``F.depth2space`` turns the output back.

::

    from mlkit.models.convlstm import EncoderForecaster
    model = EncoderForecaster(hidden=(64,), patch=4)
    logits = model(x, n_out=10)        # x (B, 10, 1, 64, 64) in [0, 1] -> (B, 10, 1, 64, 64)
    frames = F.sigmoid(logits)         # the predicted frames, in [0, 1]

Both models return **logits**; train them with ``F.bernoulli_nll(target, logits)`` (a per-pixel
binary cross-entropy, stable for the mostly-black frames) or with the MSE of ``F.sigmoid``.
"""
import numpy

import chainer
import chainer.functions as F
import chainer.links as L


def convlstm_gates(gates, c):
    """One ConvLSTM update from the convolution's output ``gates`` (B, 4*H, h, w), split in the
    order input, forget, output, candidate, and the cell state ``c`` -> ``(h_new, c_new)``::

        i, f, o = sigmoid(.), g = tanh(.);  c_new = f * c + i * g;  h_new = o * tanh(c_new)
    """
    i, f, o, g = F.split_axis(gates, 4, axis=1)
    c_new = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    return F.sigmoid(o) * F.tanh(c_new), c_new


class ConvLSTMCell(chainer.Chain):
    """A ConvLSTM cell: an LSTM whose matrix products are convolutions, so its state is an image
    of ``hidden_channels`` channels. One convolution over ``concat(x, h)`` gives all four gates.

    ``cell(x, state)`` with ``state = (h, c)`` or None (zeros) -> ``(h_new, c_new)``.
    The forget gate's bias starts at 1, so the cell remembers from the start.
    """

    def __init__(self, in_channels, hidden_channels, ksize=3):
        super().__init__()
        self.hidden_channels = hidden_channels
        bias = numpy.zeros(4 * hidden_channels, numpy.float32)
        bias[hidden_channels:2 * hidden_channels] = 1.0
        with self.init_scope():
            self.conv = L.Convolution2D(in_channels + hidden_channels, 4 * hidden_channels,
                                        ksize, pad=ksize // 2, initial_bias=bias)

    def zero_state(self, x):
        xp = chainer.backend.get_array_module(x)
        shape = (x.shape[0], self.hidden_channels) + tuple(x.shape[2:])
        return xp.zeros(shape, x.dtype), xp.zeros(shape, x.dtype)

    def forward(self, x, state=None):
        h, c = self.zero_state(x) if state is None else state
        return convlstm_gates(self.conv(F.concat((x, h), axis=1)), c)


class EncoderForecaster(chainer.Chain):
    """Shi et al.'s encoder-forecaster on patches.

    The **encoder**, a stack of ConvLSTM cells, reads the input frames; the **forecaster**, a
    second stack with its own weights, starts from the encoder's states and runs ``n_out`` steps,
    fed at each step with its own previous prediction (the last input frame at the first step).
    A 1x1 convolution turns the top forecaster state into the patch logits of a frame.

    hidden: channels of each layer (one number per layer); patch: the space-to-depth factor;
    ksize: the kernel of the recurrent convolutions; embed: when given, a 1x1 convolution first
    maps the ``patch**2`` pixels of a patch to this many channels (cheaper recurrent
    convolutions for large patches).
    """

    def __init__(self, hidden=(64,), patch=4, ksize=3, channels=1, embed=None):
        super().__init__()
        self.hidden, self.patch = tuple(hidden), int(patch)
        depth = channels * self.patch ** 2
        with self.init_scope():
            self.embed = None if embed is None else L.Convolution2D(depth, int(embed), 1)
            width = depth if embed is None else int(embed)
            self.encoder = chainer.ChainList(*self._stack(width, ksize))
            self.forecaster = chainer.ChainList(*self._stack(width, ksize))
            self.head = L.Convolution2D(self.hidden[-1], depth, 1)

    def _patches(self, frame):
        return self._embedded(F.space2depth(frame, self.patch))

    def _stack(self, depth, ksize):
        sizes = (depth,) + self.hidden
        return [ConvLSTMCell(a, b, ksize) for a, b in zip(sizes[:-1], sizes[1:])]

    @staticmethod
    def _step(cells, x, states):
        new_states, h = [], x
        for cell, state in zip(cells, states):
            h, c = cell(h, state)
            new_states.append((h, c))
        return h, new_states

    def forward(self, x, n_out=10, targets=None, teacher=0.0):
        """x (B, T_in, C, H, W) in [0, 1] -> logits (B, n_out, C, H, W).

        Training may pass the true future frames ``targets`` (B, n_out, C, H, W) and a
        probability ``teacher``: each sequence's forecaster is then fed, at each step, the true
        previous frame with that probability instead of its own prediction (*scheduled
        sampling*: start near 1 so that the forecaster learns one-step motion fast, end at 0 as
        at test time, where there are no targets).
        """
        frames = F.separate(x, axis=1)
        states = [None] * len(self.hidden)
        for frame in frames:
            _, states = self._step(self.encoder, self._patches(frame), states)
        previous = F.space2depth(frames[-1], self.patch)
        xp = chainer.backend.get_array_module(x)
        outputs = []
        for step in range(n_out):
            top, states = self._step(self.forecaster, self._embedded(previous), states)
            logits = self.head(top)
            outputs.append(F.depth2space(logits, self.patch))
            previous = F.sigmoid(logits)
            if targets is not None and teacher > 0 and step + 1 < n_out:
                true = F.space2depth(targets[:, step], self.patch)
                use = (xp.random.random_sample((len(x), 1, 1, 1)) < teacher).astype(x.dtype)
                previous = use * true + (1 - use) * previous
        return F.stack(outputs, axis=1)

    def _embedded(self, patches):
        return patches if self.embed is None else self.embed(patches)


class FrameEncoderDecoder(chainer.Chain):
    """A per-frame conv encoder-decoder with no memory: it sees one frame (as patches), two
    convolutions at the patch grid's resolution encode it, one decodes the next frame's patch
    logits. Rolled out on its own predictions it makes ``n_out`` frames; it cannot know the
    digits' velocities, which is the point of comparing it with the ConvLSTM."""

    def __init__(self, width=64, patch=4, ksize=3, channels=1):
        super().__init__()
        self.patch = int(patch)
        depth = channels * self.patch ** 2
        with self.init_scope():
            self.enc1 = L.Convolution2D(depth, width, ksize, pad=ksize // 2)
            self.enc2 = L.Convolution2D(width, width, ksize, pad=ksize // 2)
            self.dec = L.Convolution2D(width, depth, ksize, pad=ksize // 2)

    def next_frame(self, frame):
        """frame (B, C, H, W) in [0, 1] -> logits of the next frame (B, C, H, W)."""
        h = F.relu(self.enc1(F.space2depth(frame, self.patch)))
        h = F.relu(self.enc2(h))
        return F.depth2space(self.dec(h), self.patch)

    def forward(self, x, n_out=10):
        """x (B, T_in, C, H, W) -> logits (B, n_out, C, H, W), from the last input frame on."""
        previous, outputs = x[:, -1], []
        for _ in range(n_out):
            logits = self.next_frame(previous)
            outputs.append(logits)
            previous = F.sigmoid(logits)
        return F.stack(outputs, axis=1)


def count_parameters(model):
    """The number of trainable numbers of ``model`` (initialized parameters only)."""
    return int(sum(p.size for p in model.params() if p.array is not None))


def predict_frames(model, x, n_out=10, batch_size=64):
    """``sigmoid(model(x))`` in test mode, batch by batch, as a NumPy float32 array."""
    from mlkit.device import to_numpy
    device = model.device
    parts = []
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for start in range(0, len(x), batch_size):
            batch = device.send(numpy.asarray(x[start:start + batch_size], numpy.float32))
            parts.append(to_numpy(F.sigmoid(model(batch, n_out=n_out)).array))
    return numpy.concatenate(parts)
