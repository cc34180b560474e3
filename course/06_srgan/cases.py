"""Lesson 6's grader on the notebooks a learner really hands in, as data (the format:
tests/lessons/planted.py; the test: tests/lessons/test_lesson_cases.py).

* solutions carrying the typical mistakes of the lesson (a PSNR with a fixed peak of 255 or 1,
  20 log10 of the MSE, uint8 images subtracted without conversion; a residual block without its
  skip or with a ReLU for the PReLU; pixel shuffle in PyTorch's channel order or with the
  sub-pixel rows and columns swapped; a training step without cleargrads or without the update;
  a content loss on pixels or summed; an adversarial weight of 1, the label "fake", the
  saturating log(1 - D)) lose points in exactly those exercises, each with the hint that names
  its mistake, and keep all the others; a fixed peak of one keeps the unit-range check;
* a training step that returns the Variable where the text asks for a float loses 6.4;
* correct answers in other styles earn full marks; answers that fake what a check looks at (a
  block that returns its input) earn nothing for it, and a pixel shuffle off the graph loses the
  network point;
* the libraries' own answers (scikit-image's PSNR, the course's residual block, F.depth2space
  and the course's pixel shuffle, Chainer's StandardUpdater for the step, the course's content
  loss and GAN loss), imported in the cell, aliased in the setup cell, wrapped, subclassed or
  called from a helper, earn nothing: "exercise N.M asks you to write this yourself"
  (checks.py declares them with write_yourself=...).
"""

MISTAKES = {
    "a": {"edits": [
        ("6.1", "return float(10 * np.log10(peak ** 2 / mse))",
         "return float(10 * np.log10(255 ** 2 / mse))", "you used a peak of 255"),
        ("6.2", "return x + self.bn2(self.conv2(h))", "return self.bn2(self.conv2(h))",
         "without the identity skip"),
        ("6.3", "h = F.transpose(h, (0, 3, 4, 1, 5, 2))", "h = F.transpose(h, (0, 3, 4, 2, 5, 1))",
         "rows and columns of each r x r block are swapped"),
        ("6.4", "    model.cleargrads()\n", "", "model.cleargrads()"),
        ("6.5", "return F.mean_squared_error(features(sr), features(hr))",
         "return F.mean_squared_error(sr, hr)", "this is the pixel MSE"),
        ("6.6", "def generator_loss(content, d_fake, weight=1e-3):",
         "def generator_loss(content, d_fake, weight=1.0):", "the adversarial term has weight 1"),
    ]},
    "b": {"edits": [
        ("6.1", "error = np.asarray(sr, np.float64) - np.asarray(hr, np.float64)",
         "error = (sr - hr).astype(np.float64)", "wraps around"),
        ("6.3", "h = F.reshape(x, (n, r, r, c, height, width))        # (n, i, j, c, y, x)\n"
                "    h = F.transpose(h, (0, 3, 4, 1, 5, 2))",
         "h = F.reshape(x, (n, c, r, r, height, width))\n"
         "    h = F.transpose(h, (0, 1, 4, 2, 5, 3))", "PyTorch's channel order"),
        ("6.4", "    optimizer.update()\n", "", "optimizer.update()"),
        ("6.6", "real = xp.ones(d_fake.shape, dtype=np.int32)",
         "real = xp.zeros(d_fake.shape, dtype=np.int32)", "calls its images fake"),
    ]},
    "c": {"edits": [
        ("6.1", "return float(10 * np.log10(peak ** 2 / mse))",
         "return float(20 * np.log10(peak / mse))", "20 log10(peak / MSE)"),
        ("6.2", "self.act = L.PReLU((channels,))", "self.act = F.relu", "L.PReLU"),
        ("6.5", "return F.mean_squared_error(features(sr), features(hr))",
         "return F.sum(F.squared_error(features(sr), features(hr)))",
         "sum of the squared feature differences"),
        ("6.6", "return content + weight * F.sigmoid_cross_entropy(d_fake, real)",
         "return content - weight * F.sigmoid_cross_entropy(d_fake, 1 - real)",
         "saturating form"),
    ]},
    "d": {
        "edits": [
            ("6.1", "return float(10 * np.log10(peak ** 2 / mse))",
             "return float(10 * np.log10(1 / mse))", "you used a peak of 1"),
        ],
        # a fixed peak of one keeps the unit-range check
        "passed": ["6.1/psnr_of_images_in_unit_range"],
        "failed": ["6.1/psnr_with_another_peak_and_8_bit_images"],
    },
    # the text asks for the loss as a Python float, not the Variable
    "e": {"edits": [
        ("6.4", "return float(loss.array)", "return loss", "got a chainer.Variable"),
    ]},
}


ALTERNATIVES = {
    "subtract_in_float_lazy_convolutions_and_methods": {"edits": [
        ("6.1", 0, """
            mse = np.square(np.subtract(sr, hr, dtype=np.float64)).mean()
            return np.inf if mse == 0 else 10 * np.log10(peak * peak / mse)
            """),
        ("6.2", 0, """
            with self.init_scope():
                self.conv1 = L.Convolution2D(None, channels, ksize=3, stride=1, pad=1)
                self.bn1 = L.BatchNormalization(channels)
                self.act = L.PReLU(shape=(channels,))
                self.conv2 = L.Convolution2D(None, channels, ksize=3, stride=1, pad=1)
                self.bn2 = L.BatchNormalization(channels)
            """),
        ("6.2", 1, """
            h = self.bn1(self.conv1(x))
            h = F.prelu(h, self.act.W)
            return self.bn2(self.conv2(h)) + x
            """),
        ("6.3", 0, """
            n, rrc, h, w = x.shape
            c = rrc // r // r
            y = x.reshape((n, r, r, c, h, w)).transpose((0, 3, 4, 1, 5, 2))
            return y.reshape((n, c, h * r, w * r))
            """),
        ("6.4", 0, """
            loss = F.mean_squared_error(model(lr), hr)
            optimizer.update(lambda: loss)        # clears the gradients, backward, step
            return loss.item()
            """),
        ("6.5", 0, """
            a = features(sr)
            with chainer.no_backprop_mode():
                target = features(hr)
            return F.mean(F.squared_difference(a, target.array))
            """),
        ("6.6", 0, """
            return content + weight * F.mean(F.softplus(-d_fake))
            """),
    ]},
    "float32_sums_and_swapped_axes": {"edits": [
        ("6.1", 0, """
            sr, hr = sr.astype(np.float32), hr.astype(np.float32)
            mse = ((sr - hr) ** 2).mean()
            return 20 * np.log10(peak / np.sqrt(mse)) if mse > 0 else np.inf
            """),
        ("6.2", 1, """
            return x + self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
            """),
        ("6.3", 0, """
            n, ch, height, width = x.shape
            c = ch // (r * r)
            h = F.reshape(x, (n, r, r, c, height, width))
            h = F.swapaxes(h, 1, 3)                          # (n, c, j, i, y, x)
            h = F.transpose(h, (0, 1, 4, 3, 5, 2))
            h = F.reshape(h, (n, c, height * r, width, r))
            return F.reshape(h, (n, c, height * r, width * r))
            """),
        ("6.4", 0, """
            model.cleargrads()
            loss = F.mean(F.square(model(lr) - hr))
            loss.backward()
            optimizer.update()
            return float(loss.data)
            """),
        ("6.5", 0, """
            diff = features(sr) - features(hr)
            return F.sum(diff * diff) / diff.size
            """),
        ("6.6", 0, """
            import math
            return content - weight * F.mean(F.log(F.sigmoid(d_fake)))
            """),
    ]},
    "math_module_psnr_and_the_logits_own_xp": {"edits": [
        ("6.1", 0, """
            import math
            mse = float(np.mean((sr.astype(float) - hr.astype(float)) ** 2))
            if mse == 0:
                return math.inf
            return 10 * math.log10(peak * peak / mse)
            """),
        ("6.6", 0, """
            real = d_fake.xp.ones(d_fake.shape, dtype=d_fake.xp.int32)   # d_fake: a Variable
            return content + weight * F.sigmoid_cross_entropy(d_fake, real)
            """),
    ]},
}


CHEATS = {
    # pixel shuffle by a library call earns nothing; a block that returns its input earns nothing
    "depth2space_and_a_block_that_returns_its_input": {
        "edits": [
            ("6.2", 1, """
                self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
                return x
                """),
            ("6.3", 0, """
                return F.depth2space(x, r)
                """),
        ],
        "zero": ["6.2", "6.3"],
        "hints": {"6.2": ["returns its input unchanged"], "6.3": ["asks you to write this yourself"]},
    },
    "the_librarys_pixel_shuffle": {
        "edits": [
            ("6.3", 0, """
                from mlkit.models import srgan
                return srgan.pixel_shuffle(x, r)
                """),
        ],
        "zero": ["6.3"],
        "hints": {"6.3": ["asks you to write this yourself"]},
    },
    # a pixel shuffle off the graph loses the network point
    "pixel_shuffle_off_the_graph": {
        "edits": [
            ("6.3", 0, """
            data = getattr(x, "array", x)
            n, ch, height, width = data.shape
            c = ch // (r * r)
            y = data.reshape(n, r, r, c, height, width).transpose(0, 3, 4, 1, 5, 2)
            return chainer.Variable(np.ascontiguousarray(y.reshape(n, c, height * r, width * r)))
            """),
        ],
        "passed": ["6.3/pixel_shuffle_equals_depth2space"],
        "failed": ["6.3/pixel_shuffle_works_inside_a_network"],
        "check_hints": {"6.3/pixel_shuffle_works_inside_a_network": "no gradient flows back"},
    },
}


# Exercises that ask the learner to write what a library already has (checks.py declares it
# with write_yourself=...): calling the library's version, however it is reached, earns nothing
# for that exercise, with the hint "exercise N.M asks you to write this yourself".
_YOURSELF = "asks you to write this yourself"
_ALL = ["6.1", "6.2", "6.3", "6.5", "6.6"]

CHEATS.update({
    "the_librarys_answers_imported_in_each_cell": {
        "edits": [
            ("6.1", 0, """
                from skimage.metrics import peak_signal_noise_ratio
                return peak_signal_noise_ratio(hr, sr, data_range=peak)
                """),
            ("6.2", 0, """
                from mlkit.models.srgan import ResidualBlock as LibraryBlock
                with self.init_scope():
                    self.inner = LibraryBlock(channels)
                """),
            ("6.2", 1, """
                return self.inner(x)
                """),
            ("6.3", 0, """
                return F.depth2space(x, r)
                """),
            ("6.5", 0, """
                from mlkit.models.srgan import content_loss as library_loss
                return library_loss(features, sr, hr)
                """),
            ("6.6", 0, """
                from mlkit.training.gan import generator_loss as adversarial
                return content + weight * adversarial(d_fake)
                """),
        ],
        "zero": _ALL,
        "hints": {e: [_YOURSELF] for e in _ALL},
    },
    "aliases_made_in_the_setup_cell": {
        "costless": [
            ("setup", "import chainer.functions as F\n",
             "import chainer.functions as F\n"
             "from skimage import metrics as measures\n"
             "from mlkit.models import srgan as sr_models\n"
             "from mlkit.training import gan as gan_recipes\n"
             "shuffle = F.depth2space\n", None),
        ],
        "edits": [
            ("6.1", 0, """
                return float(measures.peak_signal_noise_ratio(hr, sr, data_range=peak))
                """),
            ("6.2", 1, """
                return sr_models.ResidualBlock.forward(self, x)
                """),
            ("6.3", 0, """
                return shuffle(x, r)
                """),
            ("6.5", 0, """
                return sr_models.content_loss(features, sr, hr)
                """),
            ("6.6", 0, """
                return content + weight * gan_recipes.generator_loss(d_fake)
                """),
        ],
        "zero": _ALL,
        "hints": {e: [_YOURSELF] for e in _ALL},
    },
    "thin_wrappers_around_the_library": {
        "edits": [
            ("6.1", 0, """
                import functools
                from skimage.metrics import peak_signal_noise_ratio
                measure = functools.partial(peak_signal_noise_ratio, data_range=peak)
                return measure(hr, sr)
                """),
            ("6.3", 0, """
                from mlkit.models import srgan
                return srgan.pixel_shuffle(x, r)
                """),
            ("6.5", 0, """
                import mlkit.models.srgan
                loss = lambda f, a, b: mlkit.models.srgan.content_loss(f, a, b)   # noqa: E731
                return loss(features, sr, hr)
                """),
            ("6.6", 0, """
                import mlkit.training.gan
                adversarial = lambda y: mlkit.training.gan.generator_loss(y)   # noqa: E731
                return content + weight * adversarial(d_fake)
                """),
        ],
        "zero": ["6.1", "6.3", "6.5", "6.6"],
        "hints": {e: [_YOURSELF] for e in ["6.1", "6.3", "6.5", "6.6"]},
    },
    "subclasses_of_the_librarys_classes": {
        "costless": [
            ("setup", "import chainer.functions as F\n",
             "import chainer.functions as F\nfrom mlkit.models import srgan as sr_models\n", None),
        ],
        "edits": [
            ("6.2", "class ResidualBlock(chainer.Chain):",
             "class ResidualBlock(sr_models.ResidualBlock):", _YOURSELF),
            ("6.2", 0, """
                sr_models.ResidualBlock.__init__(self, channels)
                """),
            ("6.2", 1, """
                return super().forward(x)
                """),
            # the inverse's backward is depth2space: its gradient is the pixel shuffle
            ("6.3", 0, """
                v = x if isinstance(x, chainer.Variable) else chainer.Variable(x)
                n, ch, height, width = v.shape
                probe = chainer.Variable(np.zeros((n, ch // (r * r), height * r, width * r),
                                                  v.dtype))
                out = F.space2depth(probe, r)
                out.grad = v.array
                out.backward()
                return probe.grad
                """),
            # one step by a subclass of Chainer's StandardUpdater
            ("6.4", 0, """
                class OneStep(chainer.training.updaters.StandardUpdater):
                    pass
                batch = list(zip(lr, hr))
                step = OneStep(chainer.iterators.SerialIterator(batch, len(batch), shuffle=False),
                               optimizer, loss_func=lambda a, b: F.mean_squared_error(model(a), b))
                with chainer.no_backprop_mode():
                    loss = float(F.mean_squared_error(model(lr), hr).array)
                step.update()
                return loss
                """),
        ],
        "zero": ["6.2", "6.3", "6.4"],
        "hints": {e: [_YOURSELF] for e in ["6.2", "6.3", "6.4"]},
    },
    "the_library_called_from_a_helper_function": {
        "edits": [
            ("6.1", 0, """
                def helper(a, b, top):
                    import importlib
                    metrics = importlib.import_module("skimage.metrics")
                    return getattr(metrics, "peak_signal_noise_ratio")(b, a, data_range=top)
                return helper(sr, hr, peak)
                """),
            ("6.2", 1, """
                def helper(block, h):
                    import importlib
                    library = importlib.import_module("mlkit.models.srgan")
                    return library.ResidualBlock.forward(block, h)
                return helper(self, x)
                """),
            ("6.3", 0, """
                def helper(h, k):
                    import importlib
                    return importlib.import_module("chainer.functions").depth2space(h, k)
                return helper(x, r)
                """),
            ("6.5", 0, """
                def helper(*args):
                    import importlib
                    return importlib.import_module("mlkit.models.srgan").content_loss(*args)
                return helper(features, sr, hr)
                """),
            ("6.6", 0, """
                def helper(y):
                    import importlib
                    return importlib.import_module("mlkit.training.gan").generator_loss(y)
                return content + weight * helper(d_fake)
                """),
        ],
        "zero": _ALL,
        "hints": {e: [_YOURSELF] for e in _ALL},
    },
})
