"""Lesson 2's grader on the notebooks a learner really hands in, as data (the format:
tests/lessons/planted.py; the test: tests/lessons/test_lesson_cases.py).

* solutions carrying the typical mistakes of the lesson (float64 images, int64 labels, a count
  instead of a fraction, no ``cleargrads``, 9 class scores, evaluation in training mode, a
  transposed confusion matrix, a CNN without dropout, a softmax inside the model, a regression
  loss on class labels; a Trainer (2.8) whose Evaluator gets the bare model, that stops after
  iterations instead of epochs, whose validation iterator repeats, whose optimizer trains the
  bare model, or that has no LogReport) lose the points of exactly those exercises, each with
  the hint that names its mistake, and keep all the others; the Trainer's wiring has one
  mistake per notebook, since they share the checks;
* a softmax in the model costs the class scores check only; a wrong loss with int32 labels is
  not blamed on the labels;
* ``chainer.config.train = False`` left at the top level of an exercise cell costs nothing: the
  grader resets Chainer's configuration before every check, so a later exercise whose check
  needs training mode (2.5, 2.7: two forward passes differ by dropout) keeps its points;
* correct answers in other styles earn full marks.
"""

MISTAKES = {
    "a": {
        "edits": [
            ("2.1", "x = images.astype(np.float32).reshape(len(images), 1, 28, 28) "
                    "/ np.float32(255)",
             "x = images.reshape(len(images), 1, 28, 28) / 255", "float64"),
            ("2.1", "t = labels.astype(np.int32)", "t = labels.astype(np.int64)",
             "softmax_cross_entropy wants int32"),
            ("2.3", "return float(np.mean(predicted == labels))",
             "return float(np.sum(predicted == labels))", "the count"),
            ("2.4", "        model.cleargrads()\n", "",
             "model.cleargrads() before loss.backward()"),
            # the Evaluator gets the bare model
            ("2.8", "extensions.Evaluator(val_iter, classifier, device=device)",
             "extensions.Evaluator(val_iter, model, device=device)", "the bare model"),
        ],
    },
    "b": {
        "edits": [
            ("2.2", "self.l3 = L.Linear(n_hidden, n_out)", "self.l3 = L.Linear(n_hidden, 9)",
             "needs n_out=10 outputs"),
            ("2.5", 'with chainer.using_config("train", False), chainer.no_backprop_mode():',
             "with chainer.no_backprop_mode():", "chainer.using_config('train', False)"),
            ("2.6", "np.add.at(matrix, (true, predicted), 1)",
             "np.add.at(matrix, (predicted, true), 1)", "transposed"),
            ("2.7", "        h = F.dropout(h, 0.25)\n", "", None),
            ("2.7", "return self.out(F.dropout(h, 0.5))", "return self.out(h)", "add dropout"),
            # the Trainer stops after iterations instead of epochs
            ("2.8", 'training.Trainer(updater, (epochs, "epoch"), out=out)',
             'training.Trainer(updater, (epochs, "iteration"), out=out)',
             "iterations are minibatches"),
        ],
    },
    "c": {
        # left behind after trying the model out in test mode: must cost nothing
        "costless": [("2.1", "    return x, t\n",
                      "    return x, t\n\n\nchainer.config.train = False\n", None)],
        "edits": [
            # a softmax in the model
            ("2.2", "return self.l3(h)", "return F.softmax(self.l3(h))",
             "raw class scores (logits)"),
            # a regression loss on class labels
            ("2.4", "loss = F.softmax_cross_entropy(model(x), t)",
             "loss = F.mean_squared_error(model(x), t)",
             "F.softmax_cross_entropy(model(x), t)"),
            # the validation iterator repeats
            ("2.8", "val_iter = SerialIterator(val, batch_size, repeat=False, shuffle=False)",
             "val_iter = SerialIterator(val, batch_size)", "one pass and stop"),
        ],
        # a softmax in the model costs the class scores check only, with its own hint
        "only_failing": {"2.2": ["2.2/mlp_returns_ten_scores"]},
        "check_hints": {"2.2/mlp_returns_ten_scores":
                        "softmax_cross_entropy applies the softmax itself"},
        # a wrong loss with int32 labels is not blamed on the labels
        "zero": ["2.4"],
        "hints": {"2.4": ["F.mean_squared_error"]},
        "not_hinted": {"2.4": ["int32"]},
        # train mode switched off at the top level costs nothing: the exercises that depend on
        # the mode keep their points, and the check that needs training mode passes
        "full_marks": ["2.5", "2.7"],
        "passed": ["2.7/cnn_dropout_only_in_training"],
    },
    "d": {
        "edits": [("2.8", "optimizer.setup(classifier)", "optimizer.setup(model)",
                   "wrap it, classifier = L.Classifier(model)")],   # trains the bare model
    },
    "e": {
        "edits": [("2.8", "    trainer.extend(extensions.LogReport())\n", "", "no LogReport")],
    },
}


ALTERNATIVES = {
    "lists_lazy_links_and_aliases": {"edits": [
        ("2.1", 0, """
            x = (images / 255.0).astype(np.float32)[:, None]
            return [x, np.asarray(labels, dtype=np.int32)]
            """),
        ("2.2", 0, """
            with self.init_scope():
                self.fc1 = L.Linear(None, n_hidden)
                self.fc2 = L.Linear(None, n_hidden)
                self.fc3 = L.Linear(None, n_out)
            """),
        ("2.2", 1, """
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
            """),
        ("2.3", 0, """
            return F.accuracy(scores, labels).array
            """),
        ("2.4", 0, """
            total, batches = 0.0, 0
            epoch = iterator.epoch
            while iterator.epoch == epoch:
                x, t = concat_examples(next(iterator), device=device)

                def lossfun():
                    return F.softmax_cross_entropy(model(x), t)
                loss = lossfun()
                optimizer.target.cleargrads()
                loss.backward()
                optimizer.update()
                total += loss.array.item()
                batches += 1
            return total / batches
            """),
        ("2.5", 0, """
            from collections import namedtuple
            Result = namedtuple("Result", "loss accuracy")
            iterator.reset()
            losses, hits, n = [], [], 0
            with chainer.using_config("train", False), \
                    chainer.using_config("enable_backprop", False):
                while True:
                    try:
                        batch = iterator.next()
                    except StopIteration:
                        break
                    x, t = concat_examples(batch, device)
                    y = model(x)
                    losses.append(F.sum(F.softmax_cross_entropy(y, t, reduce="no")).array)
                    hits.append(F.accuracy(y, t).array * len(t))
                    n += len(t)
            return Result(np.sum(losses) / n, np.sum(hits) / n)
            """),
        ("2.6", 0, """
            matrix = np.zeros((n_classes, n_classes), dtype=int)
            for a, b in zip(true, predicted):
                matrix[a, b] += 1
            return matrix
            """),
        ("2.7", 0, """
            with self.init_scope():
                self.conv1 = L.Convolution2D(None, 32, 3, 1, 1)
                self.bn1 = L.BatchNormalization(size=32)
                self.conv2 = L.Convolution2D(None, 64, 3, 1, 1)
                self.bn2 = L.BatchNormalization(size=64)
                self.fc = L.Linear(None, 128)
                self.bn3 = L.BatchNormalization(size=128)
                self.out = L.Linear(None, n_out)
            """),
        ("2.7", 1, """
            h = F.relu(F.max_pooling_2d(self.bn1(self.conv1(x)), ksize=2, stride=2))
            h = F.relu(F.max_pooling_2d(self.bn2(self.conv2(h)), ksize=2, stride=2))
            h = F.relu(self.bn3(self.fc(F.dropout(h, ratio=0.25))))
            return self.out(F.dropout(h, ratio=0.5))
            """),
        ("2.8", 0, """
            device = chainer.get_device(device)
            classifier = L.Classifier(model)
            classifier.to_device(device)
            optimizer = chainer.optimizers.Adam(alpha).setup(classifier)
            train_iter = chainer.iterators.SerialIterator(train, batch_size=batch_size,
                                                          shuffle=True)
            val_iter = chainer.iterators.SerialIterator(val, batch_size, False, False)
            updater = training.StandardUpdater(train_iter, optimizer, device=device)
            trainer = training.Trainer(
                updater, stop_trigger=training.triggers.IntervalTrigger(epochs, "epoch"),
                out=out)
            trainer.extend(extensions.Evaluator(val_iter, classifier, device=device),
                           trigger=(1, "epoch"))
            trainer.extend(extensions.LogReport(trigger=(1, "epoch")))
            return trainer
            """),
    ]},
    "loops_sums_and_dicts": {"edits": [
        ("2.1", 0, """
            x = np.expand_dims(images, 1) / np.float32(255.)
            t = np.int32(labels)
            return x.astype(np.float32), t
            """),
        ("2.3", 0, """
            correct = 0
            for row, label in zip(scores, labels):
                correct += int(np.argmax(row) == label)
            return correct / len(labels)
            """),
        ("2.4", 0, """
            losses = []
            for batch in iterator:
                x, t = concat_examples(batch, device)
                loss = F.softmax_cross_entropy(model(x), t)
                model.cleargrads()
                loss.backward()
                optimizer.update()
                losses.append(loss.array)
                if iterator.is_new_epoch:
                    break
            return np.mean(losses)
            """),
        ("2.5", 0, """
            iterator.reset()
            total_loss = total_right = 0.0
            with chainer.using_config("train", False):
                with chainer.no_backprop_mode():
                    for batch in iterator:
                        x, t = concat_examples(batch, device)
                        y = model(x)
                        n = len(batch)
                        total_loss += F.softmax_cross_entropy(y, t).array * n
                        total_right += F.accuracy(y, t).array * n
            count = len(iterator.dataset)
            return [total_loss / count, total_right / count]
            """),
        ("2.6", 0, """
            flat = np.asarray(true) * n_classes + np.asarray(predicted)
            return np.bincount(flat, minlength=n_classes ** 2).reshape(n_classes, n_classes)
            """),
        ("2.8", 0, """
            classifier = L.Classifier(model)
            classifier.to_device(device)
            optimizer = chainer.optimizers.Adam(alpha=alpha)
            optimizer.setup(classifier)
            train_iter = SerialIterator(train, batch_size)
            val_iter = SerialIterator(val, batch_size, repeat=False, shuffle=False)
            updater = chainer.training.updaters.StandardUpdater(
                {"main": train_iter}, {"main": optimizer}, device=device)
            trainer = training.Trainer(updater, [epochs, "epoch"], out=str(out))
            trainer.extend(extensions.Evaluator({"main": val_iter}, {"main": classifier},
                                                device=device))
            trainer.extend(extensions.LogReport(), name="LogReport")
            return trainer
            """),
    ]},
    "an_evaluator_on_its_own_classifier": {"edits": [
        ("2.8", 0, """
            classifier = L.Classifier(model)
            classifier.to_device(device)
            optimizer = chainer.optimizers.Adam(alpha=alpha)
            optimizer.setup(classifier)
            train_iter = SerialIterator(train, batch_size)
            val_iter = SerialIterator(val, batch_size, repeat=False, shuffle=False)
            updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device)
            trainer = training.Trainer(updater, (epochs, "epoch"), out=out)
            trainer.extend(extensions.Evaluator(val_iter, L.Classifier(model), device=device))
            trainer.extend(extensions.LogReport())
            return trainer
            """),
    ]},
}


CHEATS = {}
