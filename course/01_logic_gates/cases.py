"""Lesson 1's grader on the notebooks a learner really hands in, as data (the format:
tests/lessons/planted.py; the test: tests/lessons/test_lesson_cases.py).

* a solution carrying the typical mistakes of the lesson (int64 labels, float64 inputs, no
  ``cleargrads`` in either training loop) loses the points of exactly those exercises, each
  with the hint that names its mistake, and keeps the others; each typical mistake keeps part of
  its exercise's points; an endless loop costs its whole exercise, and only it;
* wrong answers (one output instead of two class scores, a softmax in the model, one-sided
  differences, a step by hand instead of the optimizer's, int32 regression targets) get the
  hint that names them and no other;
* training by hand (1.3) that rebinds ``p`` instead of updating in place, or that does not seed
  before building the model, a ``fit`` (1.4) that measures the accuracy after the update or
  never sets the optimizer up, and a regression (1.7) whose targets are no column, each lose
  exactly the checks that catch them, with their own hint;
* a walk of the graph (1.8) that follows only each function's first input, and one that lists
  a shared function or leaf each time it reaches it, each lose part of 1.8 with their own hint;
* a hand-written sigmoid node (1.10) without the factor y (1 - y) in backward, with a float64
  forward, with a backward that returns arrays, or one that keeps y in an attribute instead of
  retaining it, each lose exactly the one check that catches it, with its own hint;
* correct answers in other styles earn full marks; hard-coded tables and the library doing the
  exercise (a numerical gradient, a forward or a backward by Chainer's own sigmoid) earn
  nothing for what they fake.
"""

MISTAKES = {
    "typical": {
        "edits": [
            ("1.1", "t = np.array(outputs, dtype=np.int32)",
             "t = np.array(outputs, dtype=np.int64)", "int32"),
            ("1.2", "return x_noisy.astype(np.float32), t_many.astype(np.int32)",
             "return x_noisy, t_many.astype(np.int32)", "float32"),
            ("1.3", "        model.cleargrads()\n", "", "cleargrads"),
            ("1.4", "        model.cleargrads()\n", "", "cleargrads"),
        ],
        "partial": ["1.1", "1.2", "1.3", "1.4"],   # a typical mistake keeps part of its points
    },
    # An endless loop costs its whole exercise, and only it.
    "endless_loop": {
        "edits": [("1.8", "    functions, leaves = [], []\n",
                   "    while True:\n        pass\n    functions, leaves = [], []\n",
                   "ran longer than")],
        "zero": ["1.8"],
        "stability": False,     # each seed would wait out every 1.8 check's time limit
    },
    # Wrong answers whose hint must name what is wrong, and nothing they did not do.
    "not_that_mistake": {
        "edits": [
            ("1.3", "model = L.Linear(2, 2)", "model = L.Linear(2, 1)", "2 class scores"),
            ("1.6", "return self.out(F.tanh(self.hidden(x)))",
             "return F.softmax(self.out(F.tanh(self.hidden(x))))", "raw class scores"),
            ("1.9", "grad[i] = (f_plus - f_minus) / (2 * eps)",
             "grad[i] = (f_plus - f_minus) / eps", "is off by"),
            ("1.4", "        optimizer.update()\n",
             "        for p in model.params():\n            p.array -= 0.1 * p.grad\n",
             "let the optimizer make the step"),
            ("1.7", "target = t.astype(np.float32).reshape(-1, 1)", "target = t.reshape(-1, 1)",
             "needs float32 targets"),
        ],
        "not_hinted": {"1.9": ["one-sided"], "1.4": ["p.array -="]},
    },
    # Mistakes of one exercise each, in a notebook of their own: the points lost, exactly, and
    # a phrase that no hint of the exercise may hold.
    "not_in_place": {
        "edits": [("1.3", "p.array -= lr * p.grad", "p = p - lr * p.grad", "in place")],
        "lost": {"1.3": 3},
        "not_hinted": {"1.3": ["cleargrads"]},
    },
    "unseeded": {
        "edits": [("1.3", "    mlkit.seed(seed)\n", "", "call mlkit.seed(seed) first")],
        "lost": {"1.3": 3},
        "not_hinted": {"1.3": ["cleargrads"]},
    },
    "accuracy_after_update": {
        "edits": [
            ("1.4", "        history[\"accuracy\"].append(float(F.accuracy(y, t).array))\n", "",
             None),
            ("1.4", "        optimizer.update()\n",
             "        optimizer.update()\n"
             "        history[\"accuracy\"].append(float(F.accuracy(model(x), t).array))\n",
             "accuracy after the update"),
        ],
        "lost": {"1.4": 1},
        "not_hinted": {"1.4": ["cleargrads"]},
    },
    "no_setup": {
        "edits": [("1.4", "    optimizer.setup(model)\n", "", "optimizer.setup(model)")],
        "lost": {"1.4": 1},
        "not_hinted": {"1.4": ["cleargrads"]},
    },
    "targets_not_a_column": {
        "edits": [("1.7", "target = t.astype(np.float32).reshape(-1, 1)",
                   "target = t.astype(np.float32)", "output's shape (N, 1)")],
        "lost": {"1.7": 3},
        "not_hinted": {"1.7": ["needs float32 targets"]},
    },
    "first_input": {
        "edits": [("1.8", "queue.extend(node.creator.inputs)",
                   "queue.append(node.creator.inputs[0])", "missed the other inputs")],
        "lost": {"1.8": 2},
        "not_hinted": {"1.8": ["more than once"]},
    },
    "repeats": {
        "edits": [("1.8", "        if found in seen:\n            continue\n", "",
                   "more than once")],
        "lost": {"1.8": 1},
        "not_hinted": {"1.8": ["missed the other inputs"]},
    },
    "no_factor": {
        "edits": [("1.10", "return gy * y * (1 - y),", "return gy,", "gy unchanged")],
        "lost": {"1.10": 1},
        "not_hinted": {"1.10": ["float64"]},
    },
    "float64_forward": {
        "edits": [("1.10", "y = xp.tanh(x * 0.5) * 0.5 + 0.5",
                   "y = 1 / (1 + np.exp(-x.astype(np.float64)))", "returned float64")],
        "lost": {"1.10": 1},
        "not_hinted": {"1.10": ["y * (1 - y)"]},
    },
    "arrays_back": {
        "edits": [("1.10", "return gy * y * (1 - y),",
                   "return gy.array * y.array * (1 - y.array),", "returns Variables")],
        "lost": {"1.10": 1},
        "not_hinted": {"1.10": ["float64"]},
    },
    "saved_not_retained": {
        "edits": [("1.10", "self.retain_outputs((0,))", "self.y = y", None),
                  ("1.10", "y, = self.get_retained_outputs()", "y = self.y",
                   "self.get_retained_outputs()")],
        "lost": {"1.10": 1},
        "not_hinted": {"1.10": ["ndarray"]},
    },
}


ALTERNATIVES = {
    "loops_namedtuples_and_lazy_links": {"edits": [
        ("1.1", 0, """
            table = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor": (0, 1, 1, 0)}
            x = np.array([[a, b] for a in (0, 1) for b in (0, 1)], dtype="float32")
            return [x, np.asarray(table[gate.lower()], dtype="int32")]
            """),
        ("1.2", 0, """
            rng = np.random.default_rng(seed)
            xs, ts = [], []
            for point, label in zip(x, t):
                for _ in range(copies):
                    xs.append(point)
                    ts.append(label)
            xs = np.array(xs, dtype=np.float64)
            xs = xs + rng.normal(0.0, noise, size=xs.shape)
            return xs.astype("f"), np.array(ts, dtype=np.int32)
            """),
        ("1.3", 0, """
            from collections import namedtuple
            Run = namedtuple("Run", "model losses")
            mlkit.seed(int(seed))
            model = L.Linear(None, 2)
            losses = []
            for step in range(steps):
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
                model.cleargrads()
                loss.backward()
                for name, param in model.namedparams():
                    param.data -= lr * param.grad
                losses.append(loss.array)
            return Run(model, losses)
            """),
        ("1.4", 0, """
            from collections import defaultdict
            optimizer.setup(model)
            history = defaultdict(list)

            def lossfun():
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
                history["loss"].append(loss.array.item())
                history["accuracy"].append((y.array.argmax(axis=1) == t).mean())
                return loss
            for _ in range(steps):
                optimizer.update(lossfun)
            return history
            """),
        ("1.5", 0, """
            rng = np.random.default_rng(seed)
            W = rng.standard_normal((n_trials, 2, 2))
            b = rng.standard_normal((n_trials, 2))
            scores = np.einsum("nd,kcd->knc", x, W) + b[:, None, :]
            return (scores.argmax(axis=-1) == t).mean(axis=1).max()
            """),
        ("1.6", 0, """
            self.hidden = L.Linear(None, n_hidden)
            self.out = L.Linear(None, n_out)
            """),
        ("1.6", 1, """
            h = F.tanh(self.hidden(x))
            y = self.out(h)
            return y
            """),
        ("1.7", 0, """
            targets = np.expand_dims(t, 1).astype("float32")
            optimizer.setup(model)
            losses = []
            for _ in range(steps):
                loss = F.mean(F.squared_difference(model(x), targets))
                optimizer.target.cleargrads()
                loss.backward()
                optimizer.update()
                losses.append(float(loss.data))
            return losses
            """),
        ("1.8", 0, """
            from collections import deque
            functions, leaves = [], []
            seen_functions, seen_leaves = set(), set()
            queue = deque([y])
            while queue:
                v = queue.popleft()
                creator = v.creator
                if creator is None:
                    if id(v) not in seen_leaves:
                        seen_leaves.add(id(v))
                        leaves.append(v.name)
                elif id(creator) not in seen_functions:
                    seen_functions.add(id(creator))
                    functions.append(creator.label)
                    queue.extend(creator.inputs)
            return tuple(functions), tuple(leaves)
            """),
        ("1.9", 0, """
            x = np.array(x, dtype=float)
            flat = []
            for i in range(x.size):
                step = np.zeros(x.size)
                step[i] = eps
                step = step.reshape(x.shape)
                flat.append((f(x + step) - f(x - step)) / (2 * eps))
            return np.array(flat).reshape(x.shape)
            """),
        ("1.10", 0, """
            xp = chainer.backend.get_array_module(inputs[0])
            y = 1 / (1 + xp.exp(-inputs[0]))
            self.retain_outputs([0])
            return (y,)
            """),
        ("1.10", 1, """
            y = self.get_retained_outputs()[0]
            return [grad_outputs[0] * (y - y * y)]
            """),
        ("1.10", 2, """
            y, = Sigmoid().apply([x])
            return y
            """),
    ]},
    "lists_numpy_scalars_and_keywords": {"edits": [
        ("1.1", 0, """
            import itertools
            x = np.array(list(itertools.product([0, 1], repeat=2)), np.float32)
            column = {"and": np.logical_and, "or": np.logical_or,
                      "xor": np.logical_xor}[gate](x[:, 0], x[:, 1])
            return x, column.astype(np.int32)
            """),
        ("1.2", 0, """
            rng = np.random.default_rng(seed)
            x_many = np.tile(x, (copies, 1)).astype(np.float32)
            jitter = (noise * rng.standard_normal(x_many.shape)).astype(np.float32)
            return x_many + jitter, np.tile(t, copies).astype(np.int32)
            """),
        ("1.3", 0, """
            mlkit.seed(seed)
            net = L.Linear(2, 2)
            history = []
            for _ in range(steps):
                net.cleargrads()
                loss = F.softmax_cross_entropy(net(x), t)
                loss.backward()
                net.W.array -= lr * net.W.grad
                net.b.array[...] = net.b.array - lr * net.b.grad
                history.append(np.float32(loss.array))
            return [net, tuple(history)]
            """),
        ("1.4", 0, """
            optimizer = optimizer.setup(model)
            losses, accuracies = [], []
            for _ in range(steps):
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
                losses.append(loss.array)
                accuracies.append(F.accuracy(y, t).array)
                optimizer.target.cleargrads()
                loss.backward()
                optimizer.update()
            return dict(loss=losses, accuracy=accuracies)
            """),
        ("1.5", 0, """
            rng = np.random.default_rng(seed)
            accuracies = []
            for _ in range(n_trials):
                W = rng.standard_normal(size=(2, 2))
                b = rng.standard_normal(size=2)
                accuracies.append(np.mean(np.argmax(x @ W.T + b, 1) == t))
            return max(accuracies)
            """),
        ("1.7", 0, """
            optimizer.setup(model)
            target = np.float32(t)[:, None]
            losses = []

            def lossfun():
                loss = F.mean_squared_error(model(x), target)
                losses.append(float(loss.array))
                return loss
            for _ in range(steps):
                optimizer.update(lossfun)
            return losses
            """),
        ("1.8", 0, """
            functions, leaves, seen, queue, i = [], [], [], [y.node], 0
            while i < len(queue):
                node = queue[i]
                i += 1
                thing = node if node.creator is None else node.creator
                if any(thing is other for other in seen):
                    continue
                seen.append(thing)
                if thing is node:
                    leaves.append(node.name)
                else:
                    functions.append(type(thing).__name__)
                    queue += list(thing.inputs)
            return functions, leaves
            """),
        ("1.9", 0, """
            x = x.astype(np.float64, copy=True)
            grad = np.empty_like(x)
            it = np.nditer(x, flags=["multi_index"])
            for _ in it:
                i = it.multi_index
                keep = x[i]
                x[i] = keep + eps
                up = f(x)
                x[i] = keep - eps
                down = f(x)
                x[i] = keep
                grad[i] = (up - down) / (eps + eps)
            return grad
            """),
        ("1.10", 0, """
            x = inputs[0]
            y = (1 / (1 + np.exp(-x))).astype(x.dtype)
            self.retain_outputs((0,))
            return y,
            """),
        ("1.10", 1, """
            gy = grad_outputs[0]
            y = self.get_retained_outputs()[0]
            gx = gy * y * (1 - y)
            return gx,
            """),
    ]},
}


CHEATS = {
    # hard-coded tables and the library doing the exercise earn nothing
    "hard_coded_tables_and_library_calls": {
        "edits": [
            ("1.5", 0, """
                return 0.75 if list(t) == [0, 1, 1, 0] else 1.0
                """),
            ("1.9", 0, """
                from chainer import gradient_check
                x = np.array(x, dtype=np.float64)
                grad, = gradient_check.numerical_grad(lambda: (np.asarray(f(x)),), (x,),
                                                      (np.ones(()),), eps=eps)
                return grad
                """),
            ("1.10", 0, """
                y = F.sigmoid(inputs[0]).array
                self.retain_outputs((0,))
                return y,
                """),
        ],
        "zero": ["1.5", "1.9"],
        "hints": {"1.9": ["chainer.gradient_check"],
                  "1.10": ["your forward lets Chainer's own sigmoid"]},
        "failed": ["1.10/sigmoid_forward_matches_F_sigmoid",
                   "1.10/sigmoid_forward_keeps_the_dtype"],
        "passed": ["1.10/sigmoid_backward_is_the_derivative"],
    },
    # a backward by the library earns no backward point
    "the_library_backward": {
        "edits": [
            ("1.10", 1, """
                y, = self.get_retained_outputs()
                return chainer.functions.activation.sigmoid.SigmoidGrad((None,)).apply(
                    (y, grad_outputs[0]))
                """),
        ],
        "passed": ["1.10/sigmoid_forward_matches_F_sigmoid"],
        "failed": ["1.10/sigmoid_backward_is_the_derivative",
                   "1.10/sigmoid_backward_returns_variables_from_retained_outputs"],
    },
}
