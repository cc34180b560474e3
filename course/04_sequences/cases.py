"""Lesson 4's grader on the notebooks a learner really hands in, as data (the format:
tests/lessons/planted.py; the test: tests/lessons/test_lesson_cases.py).

* solutions carrying the typical mistakes of the lesson (the last row of the window as its
  target, too few windows, a ``reset_state`` that resets nothing, one kind of recurrent layer
  for both kinds, no sigmoid, a roll-out without ``reset_state`` or one row too many, a bounce
  that flips the whole velocity or never clamps, digits overwritten or added instead of
  max-combined or placed at (x, y), a metric averaged over the pixels, the first frame copied,
  a scalar mean frame, a ConvLSTM without the forget gate, the output tanh or its gates in
  order) lose points in exactly those exercises, each with the hint that names its mistake,
  and keep all the others; a missing reset in the roll-out keeps the values check;
* correct answers in other styles earn full marks; a roll-out without a graph earns no graph
  point even with a faked backward, and a row predictor with the right links and a constant
  answer earns nothing.
"""

MISTAKES = {
    "a": {"edits": [
        ("4.1", "next_rows = np.stack([images[:, s + k] for s in starts], axis=1)",
         "next_rows = np.stack([images[:, s + k - 1] for s in starts], axis=1)",
         "the row after it"),
        ("4.2", "        self.rnn.reset_state()\n", "        pass\n",
         "reset_state() must call self.rnn.reset_state()"),
        ("4.4", "velocity = np.where(below, np.abs(velocity), np.where(above, -np.abs(velocity), "
                "velocity))",
         "velocity = np.where((below | above).any(axis=-1, keepdims=True), -velocity, velocity)",
         "turned the whole velocity around"),
        ("4.6", "** 2\n    return float(error.sum(axis=(-2, -1)).mean())",
         "** 2\n    return float(error.mean())", "averaged over the pixels too"),
    ]},
    "b": {
        "edits": [
            ("4.2", 'self.rnn = L.LSTM(28, n_hidden) if kind == "lstm" else L.GRU(28, n_hidden)',
             "self.rnn = L.LSTM(28, n_hidden)", "asks for L.GRU"),
            ("4.3", "    model.reset_state()\n", "", "call model.reset_state() first"),
            ("4.5", "np.maximum(window, digit, out=window)", "window[...] = digit",
             "covers the earlier one"),
            ("4.7", "last = inputs[:, -1:]", "last = inputs[:, :1]",
             "repeats the first input frame"),
            ("4.8", "h_new = F.sigmoid(o) * F.tanh(c_new)", "h_new = F.sigmoid(o) * c_new",
             "goes through tanh"),
        ],
        # a missing reset in the roll-out keeps the values check
        "passed": ["4.3/rollout_feeds_its_predictions_back"],
        "failed": ["4.3/rollout_starts_fresh_and_keeps_the_graph"],
    },
    "c": {"edits": [
        ("4.1", "starts = range(height - k)", "starts = range(height - k - 1)", "28 - k ="),
        ("4.2", "return F.sigmoid(self.out(self.rnn(row)))", "return self.out(self.rnn(row))",
         "F.sigmoid(self.out(h))"),
        ("4.3", "while len(new_rows) < n_new:", "while len(new_rows) <= n_new:",
         "already the first new row"),
        ("4.4", "    q = np.clip(q, 0, free)\n", "", "clamp the position"),
        ("4.5", "np.maximum(window, digit, out=window)", "window += digit", "you added them"),
        ("4.7", "mean = train_frames.mean(axis=(0, 1), dtype=np.float64)",
         "mean = train_frames.mean(dtype=np.float64)", "is one number"),
        ("4.8", "c_new = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)",
         "c_new = F.sigmoid(i) * F.tanh(g)", "forgets everything"),
    ]},
    "d": {"edits": [
        ("4.5", "for digit, (y, x) in zip(digits, corners):",
         "for digit, (x, y) in zip(digits, corners):", "instead of (y, x)"),
        ("4.8", "i, f, o, g = F.split_axis(", "i, f, g, o = F.split_axis(", "order i, f, o, g"),
    ]},
}


ALTERNATIVES = {
    "loops_lists_and_lazy_links": {"edits": [
        ("4.1", 0, """
            pairs = [(img[s:s + k], img[s + k]) for img in images for s in range(28 - k)]
            windows = np.array([p[0] for p in pairs], dtype=np.float32)
            targets = np.array([p[1] for p in pairs], dtype=np.float32)
            return [windows, targets]
            """),
        ("4.2", 0, """
            with self.init_scope():
                if kind == "gru":
                    self.rnn = L.GRU(None, n_hidden)
                else:
                    self.rnn = L.LSTM(None, n_hidden)
                self.out = L.Linear(None, 28)
            """),
        ("4.2", 2, """
            h = self.rnn(row)
            return 1 / (1 + F.exp(-self.out(h)))
            """),
        ("4.3", 0, """
            model.reset_state()
            out = []
            for t in range(top_rows.shape[1]):
                y = model(chainer.Variable(top_rows[:, t]))
            out.append(y)
            for _ in range(n_new - 1):
                y = model(y)
                out.append(y)
            return F.concat([F.expand_dims(v, 1) for v in out], axis=1)
            """),
        ("4.4", 0, """
            q = np.asarray(position, float) + np.asarray(velocity, float)
            v = np.array(velocity, dtype=float)
            for axis in range(2):
                lo, hi = q[..., axis] < 0, q[..., axis] > free[axis]
                v[..., axis][lo] = np.abs(v[..., axis][lo])
                v[..., axis][hi] = -np.abs(v[..., axis][hi])
                q[..., axis] = np.minimum(np.maximum(q[..., axis], 0), free[axis])
            return [q, v]
            """),
        ("4.5", 0, """
            frame = np.zeros((size, size))
            for d, c in zip(digits, corners):
                y, x = int(c[0]), int(c[1])
                area = frame[y:y + d.shape[0], x:x + d.shape[1]]
                frame[y:y + d.shape[0], x:x + d.shape[1]] = np.maximum(area, d)
            return frame.astype(np.uint8)
            """),
        ("4.6", 0, """
            p, t = np.asarray(predicted), np.asarray(true)
            return np.mean(np.sum((p - t) ** 2, axis=(-1, -2)))
            """),
        ("4.6", 1, """
            per_frame = F.sum(F.absolute(predicted - true), axis=(-2, -1))
            return float(F.mean(per_frame).array)
            """),
        ("4.7", 0, """
            n = inputs.shape[0]
            last = np.repeat(inputs[:, -1:], n_out, axis=1).astype(np.float32)
            mean = train_frames.reshape((-1,) + train_frames.shape[2:]).mean(axis=0)
            mean = np.tile(mean, (n, n_out, 1, 1, 1)).astype(np.float32)
            return dict([("copy last", last), ("all black", np.zeros_like(last)),
                         ("mean frame", mean)])
            """),
        ("4.8", 0, """
            hidden = h.shape[1]
            gates = conv(F.concat((x, h), axis=1))
            i, f = gates[:, :hidden], gates[:, hidden:2 * hidden]
            o, g = gates[:, 2 * hidden:3 * hidden], gates[:, 3 * hidden:]
            c_new = 1 / (1 + F.exp(-f)) * c + F.sigmoid(i) * F.tanh(g)
            return [F.sigmoid(o) * F.tanh(c_new), c_new]
            """),
    ]},
    "views_pads_and_containers": {"edits": [
        ("4.1", 0, """
            from numpy.lib.stride_tricks import sliding_window_view
            n = len(images)
            views = sliding_window_view(images, k, axis=1)[:, :28 - k]     # (n, 28-k, 28, k)
            windows = views.transpose(0, 1, 3, 2).reshape(n * (28 - k), k, 28)
            return windows, images[:, k:].reshape(-1, 28)
            """),
        ("4.2", 0, """
            with self.init_scope():
                self.rnn = {"lstm": L.LSTM, "gru": L.StatefulGRU}[kind](28, n_hidden)
                self.out = L.Linear(n_hidden, 28)
            """),
        ("4.3", 0, """
            model.reset_state()
            rows, x = [], top_rows[:, 0]
            for t in range(top_rows.shape[1] + n_new - 1):
                y = model(x)
                if t >= top_rows.shape[1] - 1:
                    rows.append(y)
                x = top_rows[:, t + 1] if t + 1 < top_rows.shape[1] else y
            return F.stack(rows, 1)
            """),
        ("4.4", 0, """
            from collections import namedtuple
            Step = namedtuple("Step", "position velocity")
            q = np.add(position, velocity)
            lo, hi = q < 0, q > np.asarray(free)
            v = np.copy(velocity)
            v[lo] = np.abs(v[lo])
            v[hi] = -np.abs(v[hi])
            return Step(np.clip(q, 0, free), v)
            """),
        ("4.5", 0, """
            k, h, w = digits.shape
            layers = [np.pad(d, ((y, size - y - h), (x, size - x - w)))
                      for (y, x), d in zip(corners, digits)]
            return np.max(np.stack(layers), axis=0).astype(digits.dtype)
            """),
        ("4.6", 0, """
            d = (predicted - true) ** 2
            return d.reshape(-1, d.shape[-2] * d.shape[-1]).sum(axis=1).mean()
            """),
        ("4.6", 1, """
            d = abs(predicted - true)
            return np.float32(d.sum(axis=(-1, -2)).mean())
            """),
        ("4.7", 0, """
            from collections import OrderedDict
            shape = (len(inputs), n_out) + inputs.shape[2:]
            result = OrderedDict()
            result["copy last"] = np.broadcast_to(inputs[:, -1:], shape).astype(np.float32)
            result["all black"] = np.zeros(shape, np.float32)
            result["mean frame"] = np.broadcast_to(train_frames.mean(axis=(0, 1)),
                                                   shape).astype(np.float32)
            return result
            """),
    ]},
    "pixel_loops_and_cut_feedback": {"edits": [
        ("4.1", 0, """
            images = np.asarray(images, np.float64)
            windows, targets = [], []
            for n in range(images.shape[0]):
                for s in range(images.shape[1] - k):
                    windows.append(images[n, s:s + k])
                    targets.append(images[n, s + k])
            return np.asarray(windows).astype("float32"), np.asarray(targets).astype("float32")
            """),
        ("4.3", 0, """
            model.reset_state()
            for step in range(top_rows.shape[1]):
                y = model(top_rows[:, step])
            new_rows = [y]
            for _ in range(n_new - 1):
                new_rows.append(model(new_rows[-1].array))
            return F.stack(new_rows, axis=1)
            """),
        ("4.5", 0, """
            frame = np.zeros((size, size), np.uint8)
            h, w = digits.shape[1:]
            for i in range(len(digits)):
                y, x = corners[i]
                for r in range(h):
                    for c in range(w):
                        frame[y + r, x + c] = max(frame[y + r, x + c], digits[i, r, c])
            return frame
            """),
        ("4.6", 0, """
            return np.mean(np.sum(np.square(predicted - true), axis=(-2, -1)), dtype=np.float64)
            """),
        ("4.7", 0, """
            n = len(inputs)
            mean = np.mean(train_frames, axis=(0, 1))
            return {"copy last": np.stack([inputs[:, -1]] * n_out, axis=1),
                    "all black": np.zeros((n, n_out) + inputs.shape[2:], dtype="float32"),
                    "mean frame": np.stack([np.stack([mean] * n_out)] * n, 0).astype(np.float32)}
            """),
    ]},
}


CHEATS = {
    # a roll-out without a graph earns no graph point, even with a faked backward
    "roll_out_without_a_graph_and_a_faked_backward": {
        "edits": [
            ("4.3", 0, """
                model.reset_state()
                for step in range(top_rows.shape[1]):
                    y = model(top_rows[:, step])
                new_rows = [y.array]
                while len(new_rows) < n_new:
                    new_rows.append(model(new_rows[-1]).array)

                def fake_backward(*args, **kwargs):      # every weight "gets a gradient"
                    for p in model.params():
                        p.grad = np.ones_like(p.array)
                chainer.Variable.backward = fake_backward
                return chainer.Variable(np.stack(new_rows, axis=1))
                """),
        ],
        "passed": ["4.3/rollout_feeds_its_predictions_back"],
        "failed": ["4.3/rollout_starts_fresh_and_keeps_the_graph"],
    },
    # a row predictor with the right links and a constant answer earns nothing
    "row_predictor_with_the_links_and_a_constant_answer": {
        "edits": [
            ("4.2", 2, """
                self.rnn(row)
                return chainer.Variable(np.full((len(row), 28), 0.5, np.float32))
                """),
        ],
        "zero": ["4.2"],
        "hints": {"4.2": ["predicted the same row"]},
    },
}
