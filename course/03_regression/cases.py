"""Lesson 3's grader on the notebooks a learner really hands in, as data (the format:
tests/lessons/planted.py; the test: tests/lessons/test_lesson_cases.py).

* typical mistakes cost their exercise points with a hint that names the mistake while every
  other exercise keeps full marks (among them, in the early-stopping loop of 3.3: an alias
  instead of a copy, the training loss fed to the stopper, no break, no restore; in reading
  learning curves, 3.8: a nan that is no divergence, a noisiness in the loss's units, the
  noisiest and smoothest swapped);
* a line magic in the setup cell changes nothing: the grader runs cells as Jupyter does;
* correct answers in other styles earn full marks; the library's Huber loss and conclusions
  that ignore the curves earn nothing for them.
"""

MISTAKES = {
    "hidden layers without activation and mean squares as MAE": {"edits": [
        ("3.1", "h = F.relu(layer(h))", "h = layer(h)", "collapse into one Linear layer"),
        ("3.3", 'best = model.copy(mode="copy")', "best = model", "keep a real copy"),
        ("3.8", "if not np.isfinite(losses).all() or losses[-1] > losses[0]:",
         "if losses[-1] > losses[0]:", "turns inf or nan"),
        ("3.5", "return float(np.mean(np.abs(y_true - y_pred)))",
         "return float(np.mean((y_true - y_pred) ** 2))", "mean of SQUARED errors"),
        ("3.6", "    A = np.hstack([X, np.ones((len(X), 1))])      # the column of ones carries "
                "the intercept\n    theta, *_ = np.linalg.lstsq(A, y, rcond=None)\n"
                "    return theta[:-1], float(theta[-1])",
         "    theta, *_ = np.linalg.lstsq(X, y, rcond=None)\n    return theta, 0.0",
         "column of ones"),
    ]},
    "test rows with their own statistics, a late stop, hidden layers in a list": {"edits": [
        ("3.1", "self.hidden = chainer.ChainList(*[L.Linear(None, n_hidden) for _ in "
                "range(n_layers)])",
         "self.hidden = [L.Linear(None, n_hidden) for _ in range(n_layers)]",
         "plain Python list"),
        ("3.2", "return self.epoch - self.best_epoch >= self.patience",
         "return self.epoch - self.best_epoch > self.patience", "one epoch late"),
        ("3.3", "stop = stopper.step(val_loss)", "stop = stopper.step(float(loss.array))",
         "gave the stopper the training MSE"),
        ("3.8", "return float(np.mean(np.abs(np.diff(losses))) / np.mean(losses))",
         "return float(np.mean(np.abs(np.diff(losses))))",
         "relative to the size of the loss"),
        ("3.4", "z_test = (x_test - mean) / std",
         "z_test = (x_test - x_test.mean(axis=0)) / x_test.std(axis=0)",
         "their own mean and std"),
        ("3.7", "squared = 0.5 * r ** 2", "squared = r ** 2", "lacks its 1/2"),
    ]},
    "ReLU on the output, broadcasting, in-place, per-row Huber, previous-loss stopper": {"edits": [
        ("3.1", "return self.out(h)", "return F.relu(self.out(h))", "negative value"),
        ("3.2", "        self.epoch += 1\n        if loss < self.best_loss:\n"
                "            self.best_loss, self.best_epoch = loss, self.epoch\n"
                "        return self.epoch - self.best_epoch >= self.patience",
         "        self.epoch += 1\n        self.waited = 0 if loss < getattr(self, "
         "'previous', float('inf')) else getattr(self, 'waited', 0) + 1\n"
         "        self.previous = loss\n        if loss < self.best_loss:\n"
         "            self.best_loss, self.best_epoch = loss, self.epoch\n"
         "        return self.waited >= self.patience",
         "since the loss last went down"),
        ("3.4", "    z_train = (x_train - mean) / std\n",
         "    x_train -= mean\n    x_train /= std\n    z_train = x_train\n",
         "changed the arrays it was given"),
        ("3.5", "    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)\n"
                "    return float(np.mean((y_true - y_pred) ** 2))",
         "    return float(np.mean((y_true - y_pred) ** 2))", "broadcasts"),
        ("3.7", "return F.mean(F.where(size.array <= delta, squared, linear))",
         "return F.sum(F.where(size.array <= delta, squared, linear), axis=1)",
         "expected a scalar"),
    ]},
    "noisiest and smoothest swapped": {"edits": [
        ("3.8", '"noisiest": max(noise, key=noise.get)', '"noisiest": min(noise, key=noise.get)',
         "noisiest: yours"),
    ]},
    "no stop, no restore": {"edits": [
        ("3.3", "        if stop:\n            break\n", "", "break out of the loop"),
    ]},
    "best weights never put back": {"edits": [
        ("3.3", "    model.copyparams(best)\n", "", "model.copyparams(best)"),
    ]},
    "normal equations with y as a column: w of shape (D, 1)": {"edits": [
        ("3.6", "    theta, *_ = np.linalg.lstsq(A, y, rcond=None)\n"
                "    return theta[:-1], float(theta[-1])",
         "    theta = np.linalg.solve(A.T @ A, A.T @ y.reshape(-1, 1))\n"
         "    return theta[:-1], float(theta[-1, 0])",
         "a column"),
    ]},
    # A line magic in the setup cell, right under its `#| setup` marker: full marks, no hint.
    "a line magic in the setup cell": {
        "costless": [("setup", "#| setup\n", "#| setup\n%matplotlib inline\n", None)],
    },
}


ALTERNATIVES = {
    "attributes_deep_copies_and_namedtuples": {"edits": [
        ("3.1", 0, """
            self.n_layers = n_layers
            with self.init_scope():
                for i in range(n_layers):
                    setattr(self, f"l{i}", L.Linear(None, n_hidden))
                self.out = L.Linear(None, 1)
            """),
        ("3.1", 1, """
            h = x
            for i in range(self.n_layers):
                h = F.relu(getattr(self, f"l{i}")(h))
            return self.out(h)
            """),
        ("3.2", 0, """
            self.losses = []
            self.best_loss = float("inf")
            self.best_epoch = None
            """),
        ("3.2", 1, """
            self.losses.append(loss)
            self.best_epoch = int(np.argmin(self.losses))
            self.best_loss = self.losses[self.best_epoch]
            return len(self.losses) - 1 - self.best_epoch >= self.patience
            """),
        ("3.3", 0, """
            import copy
            from collections import defaultdict, namedtuple
            Result = namedtuple("Result", "best_epoch history")
            optimizer = chainer.optimizers.Adam(alpha=lr)
            optimizer.setup(model)
            history = defaultdict(list)
            best = copy.deepcopy(model)
            for epoch in range(max_epochs):
                loss = F.mean_squared_error(model(x_train), y_train)
                with chainer.using_config("enable_backprop", False):
                    val_loss = F.mean_squared_error(model(x_val), y_val).array
                history["train MSE"].append(loss.array)
                history["validation MSE"].append(val_loss)
                stop = stopper.step(val_loss)
                if stopper.best_epoch == epoch:
                    best = copy.deepcopy(model)
                if stop:
                    break
                optimizer.update(lambda: loss)
            model.copyparams(best)
            return Result(stopper.best_epoch, history)
            """),
        ("3.4", 0, """
            from collections import namedtuple
            Pair = namedtuple("Pair", "train test")
            x = np.asarray(x_train, np.float64)
            mean = np.mean(x, axis=0, keepdims=True)
            std = np.sqrt(np.mean((x - mean) ** 2, axis=0, keepdims=True))
            return Pair(np.float32((x - mean) / std), np.float32((x_test - mean) / std))
            """),
        ("3.5", 0, """
            d = np.reshape(y_true, -1) - np.reshape(y_pred, -1)
            return (d ** 2).mean()
            """),
        ("3.5", 1, """
            return np.average(np.abs(np.ravel(y_true) - np.ravel(y_pred)))
            """),
        ("3.5", 2, """
            y_true = np.asarray(y_true, np.float64).ravel()
            return 1 - mse(y_true, y_pred) / np.var(y_true)
            """),
        ("3.6", 0, """
            X = np.asarray(X, np.float64)
            y = np.asarray(y, np.float64).reshape(-1)
            A = np.column_stack([X, np.ones(len(X))])
            theta = np.linalg.solve(A.T @ A, A.T @ y)
            return [theta[:-1], theta[-1]]
            """),
        ("3.7", 0, """
            r = F.absolute(y - t)
            inside = F.minimum(r, delta * np.ones_like(t))
            return F.mean(0.5 * F.square(inside) + delta * (r - inside))
            """),
        ("3.8", 0, """
            if any(not np.isfinite(v) for v in losses) or losses[-1] >= losses[0]:
                return "diverges"
            return "good" if losses[-1] < 0.2 * losses[0] else "crawls"
            """),
        ("3.8", 1, """
            losses = np.asarray(losses, dtype=np.float64)
            return np.std(np.diff(losses)) / np.mean(losses)
            """),
        ("3.8", 2, """
            from collections import OrderedDict
            answer = OrderedDict()
            for lr, curve in lr_runs.items():
                answer[diagnose(curve)] = lr
            ranked = sorted(batch_runs, key=lambda size: noisiness(batch_runs[size]))
            answer["noisiest"], answer["smoothest"] = ranked[-1], ranked[0]
            return answer
            """),
    ]},
    "chain_lists_saved_weights_and_logs": {"edits": [
        ("3.1", 0, """
            with self.init_scope():
                self.layers = chainer.ChainList()
                for _ in range(n_layers):
                    self.layers.add_link(L.Linear(None, n_hidden))
                self.head = L.Linear(None, 1)
            """),
        ("3.1", 1, """
            for layer in self.layers.children():
                x = F.relu(layer(x))
            return self.head(x)
            """),
        ("3.2", 0, """
            self.best_loss, self.best_epoch = float("inf"), None
            self.wait = 0
            self.epochs_seen = 0
            """),
        ("3.2", 1, """
            epoch = self.epochs_seen
            self.epochs_seen += 1
            if loss < self.best_loss:
                self.best_loss, self.best_epoch, self.wait = loss, epoch, 0
            else:
                self.wait += 1
            return self.wait >= self.patience
            """),
        ("3.3", 0, """
            optimizer = chainer.optimizers.Adam(lr)
            optimizer.setup(model)
            train_curve, val_curve = [], []
            saved = None
            for epoch in range(max_epochs):
                loss = F.mean_squared_error(model(x_train), y_train)
                with chainer.no_backprop_mode():
                    val_loss = F.mean_squared_error(model(x_val), y_val).array.item()
                train_curve.append(loss.array.item())
                val_curve.append(val_loss)
                stop = stopper.step(val_loss)
                if stopper.best_epoch == epoch:
                    saved = {name: p.array.copy() for name, p in model.namedparams()}
                if stop:
                    break
                optimizer.target.cleargrads()
                loss.backward()
                optimizer.update()
            for name, p in model.namedparams():
                p.array[...] = saved[name]
            return [stopper.best_epoch, {"train MSE": train_curve, "validation MSE": val_curve}]
            """),
        ("3.4", 0, """
            mean, std = x_train.mean(0), x_train.std(0)
            return [np.divide(x_train - mean, std, dtype=np.float32),
                    ((x_test - mean) / std).astype("float32")]
            """),
        ("3.5", 2, """
            y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
            ss_res = sum((a - b) ** 2 for a, b in zip(y_true.tolist(), y_pred.tolist()))
            ss_tot = sum((a - y_true.mean()) ** 2 for a in y_true.tolist())
            return 1 - ss_res / ss_tot
            """),
        ("3.6", 0, """
            X = np.asarray(X, np.float64)
            y = np.ravel(y).astype(np.float64)
            x_mean, y_mean = X.mean(axis=0), y.mean()
            w = np.linalg.pinv(X - x_mean) @ (y - y_mean)
            return w, y_mean - x_mean @ w
            """),
        ("3.7", 0, """
            r = y - t
            a = abs(r)
            xp = chainer.backend.get_array_module(a.array)
            elementwise = F.where(xp.asarray(a.array > delta),
                                  delta * a - delta ** 2 / 2, r * r / 2)
            return F.sum(elementwise) / elementwise.size
            """),
        ("3.8", 0, """
            first, last = losses[0], losses[-1]
            if np.isnan(last) or np.isinf(last) or np.isnan(losses).any() or last > first:
                return "diverges"
            if (first - last) / first < 0.1:
                return "crawls"
            return "good"
            """),
        ("3.8", 1, """
            log = np.log(np.asarray(losses, dtype=np.float64))
            return float(np.mean(np.abs(np.diff(log))))
            """),
        ("3.8", 2, """
            answer = {}
            for lr in lr_runs:
                verdict = diagnose(lr_runs[lr])
                answer[verdict] = lr
            noise = [(noisiness(curve), size) for size, curve in batch_runs.items()]
            answer["noisiest"] = max(noise)[1]
            answer["smoothest"] = min(noise)[1]
            return answer
            """),
    ]},
}


CHEATS = {
    # the library's Huber loss and conclusions that ignore the curves earn nothing for them
    "the_library_huber_and_conclusions_from_sorted_keys": {
        "edits": [
            ("3.7", 0, """
                return F.mean(F.huber_loss(y, t, delta, reduce="no"))
                """),
            ("3.8", 2, """
                rates = sorted(lr_runs)
                return {"crawls": rates[0], "good": rates[1], "diverges": rates[2],
                        "noisiest": min(batch_runs), "smoothest": max(batch_runs)}
                """),
        ],
        "zero": ["3.7"],
        "hints": {"3.7": ["F.huber_loss"]},
        "failed": ["3.8/conclusions_follow_the_curves"],
        "passed": ["3.8/noisiness_ranks_the_batch_sizes"],
    },
}
