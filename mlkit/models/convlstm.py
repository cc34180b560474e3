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

    model = EncoderForecaster(hidden=(32,), patch=8, embed=32, motion=9)   # a motion head:
    frames = F.sigmoid(model(x))       # each frame is the previous one, moved (see move_frame)

Both models return **logits**; train them with ``F.bernoulli_nll(target, logits)`` (a per-pixel
binary cross-entropy, stable for the mostly-black frames) or with the squared error of
``F.sigmoid(logits)``.
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


# The motion head's frames are squeezed into [EPS, 1 - EPS] before they become logits, so that
# log(p / (1 - p)) stays finite where the moved frame is exactly black or white.
EPS = 1e-4


def move_frame(frame, logits_y, logits_x, patch):
    """Move ``frame`` (B, C, H, W) by a learned displacement, one distribution per patch.

    ``logits_y`` and ``logits_x`` (B, K, H/patch, W/patch) hold, for every patch, the logits of
    a vertical and of a horizontal displacement d = -K//2, ..., K//2 pixels. With
    ``w = softmax(logits)`` over the K displacements (constant over each patch's pixels) the
    frame is moved horizontally, then vertically, each pixel *pulling* its value::

        g[y, x]   = sum_d w_x[d] * frame[y, x + d]
        out[y, x] = sum_d w_y[d] * g[y + d, x]           (zero outside the frame)

    A one-hot ``w`` shifts a patch's content by whole pixels and keeps it sharp; a spread ``w``
    blurs it, which is what a model unsure of the motion does. The result stays in the range
    of ``frame`` (a convex combination of its pixels, or less at the borders).
    Returns the moved frame (B, C, H, W).
    """
    b, c, h, w = frame.shape
    k = logits_y.shape[1]

    def weights(logits):                      # (B, K, h/p, w/p) -> (B, 1, K, H, W)
        up = F.unpooling_2d(F.softmax(logits, axis=1), patch, cover_all=False)
        return F.expand_dims(up, 1)

    def shifted(x, ksize, pad):               # (B, C, H, W) -> (B, C, K, H, W), one per shift
        return F.reshape(F.im2col(x, ksize, pad=pad), (b, c, k, h, w))

    g = F.sum(weights(logits_x) * shifted(frame, (1, k), (0, k // 2)), axis=2)
    return F.sum(weights(logits_y) * shifted(g, (k, 1), (k // 2, 0)), axis=2)


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
    A 1x1 convolution, the **head**, turns the top forecaster state into a frame.

    hidden: channels of each layer (one number per layer); patch: the space-to-depth factor;
    ksize: the kernel of the recurrent convolutions; embed: when given, a 1x1 convolution first
    maps the ``patch**2`` pixels of a patch to this many channels (cheaper recurrent
    convolutions for large patches).

    motion: None or an odd number K. None: the head draws the frame, the logits of the
    ``patch**2`` pixels of each patch. K: a **motion head** - the head gives, per patch, the
    logits of a vertical and a horizontal displacement of -K//2 ... K//2 pixels, and the
    predicted frame is the step's input frame moved by them (:func:`move_frame`), returned as
    logits ``log(p / (1 - p))`` of ``p`` squeezed into [EPS, 1 - EPS]. The model then only
    has to find out how the content moves, not to redraw it; on Moving MNIST it learns much
    faster (bench/RESULTS.md, Lesson 4). It cannot draw what was not in the previous frame.

    Shapes (channels C = 1, patch p, grid g = 64/p, state width H = hidden[-1])::

        x (B, T_in, C, 64, 64) -> per step: patches (B, C*p*p, g, g) -> [embed] -> cells
        -> top state (B, H, g, g) -> head: logits (B, C*p*p, g, g) or, with motion,
           displacement logits (B, 2K, g, g) -> frame logits (B, C, 64, 64)
        output: logits (B, n_out, C, 64, 64)
    """

    def __init__(self, hidden=(64,), patch=4, ksize=3, channels=1, embed=None, motion=None):
        super().__init__()
        self.hidden, self.patch = tuple(hidden), int(patch)
        self.motion = None if motion is None else int(motion)
        if self.motion is not None and (self.motion < 1 or self.motion % 2 == 0):
            raise ValueError(f"motion must be None or an odd number of pixels, not {motion!r}")
        depth = channels * self.patch ** 2
        with self.init_scope():
            self.embed = None if embed is None else L.Convolution2D(depth, int(embed), 1)
            width = depth if embed is None else int(embed)
            self.encoder = chainer.ChainList(*self._stack(width, ksize))
            self.forecaster = chainer.ChainList(*self._stack(width, ksize))
            if self.motion is None:
                self.head = L.Convolution2D(self.hidden[-1], depth, 1)
            else:
                # Start near "stay where you are": the zero displacement gets a head start.
                bias = numpy.zeros(2 * self.motion, numpy.float32)
                bias[[self.motion // 2, self.motion + self.motion // 2]] = 2.0
                self.head = L.Convolution2D(self.hidden[-1], 2 * self.motion, 1,
                                            initial_bias=bias)

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

    def _frame_logits(self, top, previous):
        """The head: top state (B, H, g, g) and the step's input frame (B, C, 64, 64) -> the
        logits of the next frame (B, C, 64, 64)."""
        out = self.head(top)
        if self.motion is None:
            return F.depth2space(out, self.patch)
        moved = move_frame(previous, out[:, :self.motion], out[:, self.motion:], self.patch)
        p = EPS + (1 - 2 * EPS) * moved
        return F.log(p) - F.log(1 - p)

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
        previous = frames[-1]
        xp = chainer.backend.get_array_module(x)
        outputs = []
        for step in range(n_out):
            top, states = self._step(self.forecaster, self._patches(previous), states)
            logits = self._frame_logits(top, previous)
            outputs.append(logits)
            previous = F.sigmoid(logits)
            if targets is not None and teacher > 0 and step + 1 < n_out:
                use = (xp.random.random_sample((len(x), 1, 1, 1)) < teacher).astype(x.dtype)
                previous = use * targets[:, step] + (1 - use) * previous
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
    """``sigmoid(model(x))`` in test mode, batch by batch: x (N, T_in, C, H, W) -> NumPy
    float32 (N, n_out, C, H, W)."""
    from mlkit.training.loops import predict

    def frames(batch):
        return F.sigmoid(model(batch, n_out=n_out))
    return predict(model, x, batch_size, forward=frames, dtype=numpy.float32,
                   row_shape=(n_out, *numpy.shape(x)[2:]))
