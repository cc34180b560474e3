"""Lesson 5's grader on the notebooks a learner really hands in, as data (the format:
tests/lessons/planted.py; the test: tests/lessons/test_lesson_cases.py).

* solutions carrying the typical mistakes of the lesson (a sigmoid at the end of D, the
  saturating generator loss, real and fake swapped in D's loss, the sigmoid applied twice in the
  loss, D's optimizer not stepped, G's loss computed without G's graph, the vectorizer's images
  drawn in training mode, lerp's ends swapped, slerp's angle from codes that are not normalised,
  a Frechet distance without its cross term or with an element-wise square root) lose points of
  exactly those exercises, each with the hint that names its mistake, and keep all the others;
* D's step and G's step are graded apart: G's step without G's graph keeps D's point; the wrong
  optimizer after D's loss fails both, G's with the NaN it leaves in G; a saturating generator
  loss keeps the discriminator loss point;
* the architecture of the lesson's table: a generator without its final tanh, batch
  normalization at G's output or at D's input, ReLU in D or LeakyReLU in G, a LeakyReLU slope
  other than 0.2, Chainer's default initializer; covariances divided by N keep the symmetry
  point of 5.6;
* correct answers in other styles earn full marks; constant networks, losses off the graph, a
  zero distance, the means' distance alone and uniform codes earn nothing;
* the library's own answers (the DCGAN models, losses, updater, sampling and generate, lerp and
  slerp, the Frechet distance), imported in the cell, aliased in the setup cell, wrapped,
  subclassed or called from a helper, earn nothing: "exercise N.M asks you to write this
  yourself" (checks.py declares them with write_yourself=...).
"""

MISTAKES = {
    "a": {
        "edits": [
            ("5.2", "    return F.mean(F.softplus(-y_fake))",
             "    return -F.mean(F.softplus(y_fake))", "saturating loss"),
            ('5.3', 'self.get_optimizer("dis").update()', 'self.get_optimizer("gen").update()',
             "discriminator's parameters did not change"),
            ("5.5", "return (1 - t) * z0 + t * z1", "return (1 - t) * z1 + t * z0",
             "the ends are swapped"),
            ("5.6", "np.trace(s1 + s2 - 2 * root)", "np.trace(s1 + s2)", "cross term"),
        ],
        # the wrong optimizer after D's loss fails both steps, G's with the NaN it leaves in G
        "only_failing": {"5.3": ["5.3/discriminator_step_lowers_its_loss",
                                 "5.3/generator_step_lowers_its_loss"]},
        "check_hints": {"5.3/generator_step_lowers_its_loss": "are NaN"},
        # a saturating generator loss keeps the discriminator loss point
        "passed": ["5.2/discriminator_loss_is_the_cross_entropy_on_logits"],
        "failed": ["5.2/generator_loss_is_non_saturating"],
    },
    "b": {
        "edits": [
            ("5.1", "return self.out(h)", "return F.sigmoid(self.out(h))", "ends with a sigmoid"),
            ("5.2", "return F.mean(F.softplus(-y_real)) + F.mean(F.softplus(y_fake))",
             "return F.mean(F.softplus(y_real)) + F.mean(F.softplus(-y_fake))",
             "real and fake swapped"),
            ("5.3", "loss_gen = self.g_loss(self.dis(x_fake))",
             "loss_gen = self.g_loss(self.dis(x_fake.array))", "with G's graph attached"),
            ("5.4", 'with chainer.using_config("train", False), chainer.no_backprop_mode():',
             "with chainer.no_backprop_mode():", "in training mode"),
            ("5.5", "cos = np.dot(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1))",
             "cos = np.dot(z0, z1)", "needs unit vectors"),
        ],
        # G's step without G's graph keeps D's point
        "only_failing": {"5.3": ["5.3/generator_step_lowers_its_loss"]},
    },
    "c": {"edits": [
        ("5.2", "return F.mean(F.softplus(-y_real)) + F.mean(F.softplus(y_fake))",
         "return F.mean(F.softplus(-F.sigmoid(y_real))) + F.mean(F.softplus(F.sigmoid(y_fake)))",
         "applies the sigmoid twice"),
        ("5.6", "root = np.real(scipy.linalg.sqrtm(s1 @ s2))", "root = np.sqrt(s1 @ s2)",
         "scipy.linalg.sqrtm(S1 @ S2)"),
    ]},
    # the architecture of the table, as the text states it (exercise 5.1)
    "d": {
        "edits": [
            ("5.1", "return F.tanh(self.deconv2(h))", "return self.deconv2(h)",
             "without the tanh after it"),
            ("5.6", "s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)",
             "s1, s2 = np.cov(f1, rowvar=False, bias=True), np.cov(f2, rowvar=False, bias=True)",
             "divides by N - 1"),
        ],
        "only_failing": {"5.1": ["5.1/generator_draws_28x28_images_in_minus_one_to_one"]},
        # covariances divided by N keep the point of the same-set-and-symmetry check
        "passed": ["5.6/frechet_distance_is_zero_for_the_same_set_and_symmetric"],
    },
    "e": {
        "edits": [
            ("5.1", "self.deconv2 = L.Deconvolution2D(width, 1, 4, 2, 1, initialW=w)",
             "self.deconv2 = L.Deconvolution2D(width, 1, 4, 2, 1, initialW=w)\n"
             "            self.bn2 = L.BatchNormalization(1)", None),
            ("5.1", "return F.tanh(self.deconv2(h))", "return F.tanh(self.bn2(self.deconv2(h)))",
             "batch normalization at its output"),
            ("5.1", "h = F.leaky_relu(self.bn2(self.conv2(h)), slope=0.2)",
             "h = F.relu(self.bn2(self.conv2(h)))", "where the table has LeakyReLU"),
        ],
        "only_failing": {"5.1": ["5.1/generator_draws_28x28_images_in_minus_one_to_one",
                                 "5.1/discriminator_gives_one_logit_per_image"]},
    },
    "f": {
        "edits": [
            ("5.1", "self.conv1 = L.Convolution2D(1, width, 4, 2, 1, initialW=w)",
             "self.conv1 = L.Convolution2D(1, width, 4, 2, 1, initialW=w)\n"
             "            self.bn1 = L.BatchNormalization(width)", None),
            ("5.1", "h = F.leaky_relu(self.conv1(x), slope=0.2)",
             "h = F.leaky_relu(self.bn1(self.conv1(x)), slope=0.2)",
             "right after its first convolution"),
            ("5.1", "h = F.relu(self.bn1(self.deconv1(h)))",
             "h = F.leaky_relu(self.bn1(self.deconv1(h)), slope=0.2)", "the table has ReLU"),
        ],
        "only_failing": {"5.1": ["5.1/generator_draws_28x28_images_in_minus_one_to_one",
                                 "5.1/discriminator_gives_one_logit_per_image"]},
    },
    "g": {
        "edits": [
            ("5.1", "self.out = L.Linear(2 * width * 7 * 7, 1, initialW=w)",
             "self.out = L.Linear(2 * width * 7 * 7, 1)", "N(0, 0.02^2)"),
            ("5.1", "h = F.leaky_relu(self.conv1(x), slope=0.2)",
             "h = F.leaky_relu(self.conv1(x), slope=0.1)", "uses 0.2"),
        ],
        "only_failing": {"5.1": ["5.1/discriminator_gives_one_logit_per_image",
                                 "5.1/every_layer_learns_and_starts_as_in_the_paper"]},
    },
}


ALTERNATIVES = {
    "lazy_layers_sigmoid_cross_entropy_and_loops": {"edits": [
        ("5.1", 0, """
            with self.init_scope():
                self.fc = L.Linear(n_latent, 2 * width * 7 * 7, initialW=w)
                self.bn0 = L.BatchNormalization(2 * width)
                self.deconv1 = L.Deconvolution2D(2 * width, width, ksize=4, stride=2, pad=1,
                                                 initialW=w)
                self.bn1 = L.BatchNormalization(width)
                self.deconv2 = L.Deconvolution2D(None, 1, 4, 2, 1, initialW=w)
            """),
        ("5.1", 1, """
            h = self.fc(z).reshape(-1, 2 * self.width, 7, 7)
            h = F.relu(self.bn0(h))
            h = F.relu(self.bn1(self.deconv1(h)))
            return F.tanh(self.deconv2(h))
            """),
        ("5.1", 2, """
            with self.init_scope():
                self.conv1 = L.Convolution2D(None, width, 4, 2, 1, initialW=w)
                self.conv2 = L.Convolution2D(None, 2 * width, 4, 2, 1, initialW=w)
                self.bn2 = L.BatchNormalization(2 * width)
                self.out = L.Linear(None, 1, initialW=w)
            """),
        ("5.1", 3, """
            h = F.leaky_relu(self.conv1(x), 0.2)
            h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2)
            return self.out(F.reshape(h, (h.shape[0], -1)))
            """),
        ("5.2", 0, """
            real = np.ones(y_real.shape, np.int32)
            fake = np.zeros(y_fake.shape, np.int32)
            return F.sigmoid_cross_entropy(y_real, real) + F.sigmoid_cross_entropy(y_fake, fake)
            """),
        ("5.2", 1, """
            return F.sum(F.softplus(-y_fake)) / y_fake.shape[0]
            """),
        ("5.3", 0, """
            x_fake = self.gen(z)
            y_real = self.dis(x_real)
            y_fake = self.dis(chainer.Variable(x_fake.array))
            loss_dis = self.d_loss(y_real, y_fake)
            self.get_optimizer("dis").update(lambda: loss_dis)     # clears, backward, step
            loss_gen = self.g_loss(self.dis(x_fake))
            self.get_optimizer("gen").update(lambda: loss_gen)
            """),
        ("5.4", 0, """
            z = rng.normal(0.0, 1.0, size=(n, gen.n_latent)).astype("float32")
            with chainer.using_config("train", False):
                x = gen(z).array
            return shift_and_scale(x, max_shift=max_shift, scale_range=scale_range, rng=rng), z
            """),
        ("5.5", 0, """
            return np.stack([(1 - ti) * z0 + ti * z1 for ti in t[:, 0]])
            """),
        ("5.5", 1, """
            omega = np.arccos(np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1)))
            so = np.sin(omega)
            return np.array([np.sin((1.0 - ti) * omega) / so * z0 + np.sin(ti * omega) / so * z1
                             for ti in t.ravel()])
            """),
        ("5.6", 0, """
            f1, f2 = np.asarray(f1, np.float64), np.asarray(f2, np.float64)
            mu1, mu2 = f1.mean(0), f2.mean(0)
            c1 = (f1 - mu1).T @ (f1 - mu1) / (len(f1) - 1)
            c2 = (f2 - mu2).T @ (f2 - mu2) / (len(f2) - 1)
            eig = np.linalg.eigvals(c1 @ c2)            # tr sqrt(M) = sum of sqrt(eigenvalues)
            return (mu1 - mu2) @ (mu1 - mu2) + np.trace(c1) + np.trace(c2) \
                - 2 * np.sqrt(eig).real.sum()
            """),
    ]},
    "fresh_codes_for_g_and_the_symmetric_root": {"edits": [
        ("5.2", 0, """
            loss_real = F.mean(F.softplus(-y_real))
            loss_fake = F.mean(F.softplus(y_fake))
            return loss_real + loss_fake
            """),
        ("5.2", 1, """
            return F.average(F.softplus(-1 * y_fake))
            """),
        ("5.3", 0, """
            x_fake = self.gen(z)
            y_real, y_fake = self.dis(x_real), self.dis(x_fake.array)
            loss_dis = self.d_loss(y_real, y_fake)
            self.gen.cleargrads()
            self.dis.cleargrads()
            loss_dis.backward()
            self.get_optimizer("dis").update()
            loss_gen = self.g_loss(self.dis(self.gen(self.sample_z(len(x_real)))))
            self.gen.cleargrads()
            self.dis.cleargrads()
            loss_gen.backward()
            self.get_optimizer("gen").update()
            """),
        ("5.4", 0, """
            z = rng.standard_normal((n, gen.n_latent), dtype=np.float32)
            with chainer.using_config("train", False), \
                    chainer.using_config("enable_backprop", False):
                x = chainer.backends.cuda.to_cpu(gen(z).array)
            x = shift_and_scale(x, max_shift, scale_range, rng)
            return (x.astype(np.float32), z)
            """),
        ("5.5", 0, """
            return np.outer(1 - t.ravel(), z0) + np.outer(t.ravel(), z1)
            """),
        ("5.5", 1, """
            a, c = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
            omega = np.arccos(np.clip(a @ c, -1.0, 1.0))
            if np.isclose(np.sin(omega), 0):
                return (1 - t) * z0 + t * z1
            return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
            """),
        ("5.6", 0, """
            mu1, mu2 = np.mean(f1, axis=0), np.mean(f2, axis=0)
            s1, s2 = np.cov(f1.T), np.cov(f2.T)
            r1 = scipy.linalg.sqrtm(s1).real
            cross = scipy.linalg.sqrtm(r1 @ s2 @ r1).real
            return np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(cross)
            """),
    ]},
    "the_logits_own_xp_and_a_list": {"edits": [
        ("5.2", 0, """
            xp = y_real.xp                       # D's logits are Variables in the lesson
            return (F.sigmoid_cross_entropy(y_real, xp.ones(y_real.shape, xp.int32))
                    + F.sigmoid_cross_entropy(y_fake, xp.zeros(y_fake.shape, xp.int32)))
            """),
        ("5.2", 1, """
            return F.sigmoid_cross_entropy(y_fake, y_fake.xp.ones(y_fake.shape, "i"))
            """),
        ("5.4", 0, """
            z = rng.standard_normal((n, gen.n_latent)).astype(np.float32)
            with chainer.using_config("train", False), chainer.no_backprop_mode():
                x = gen(z).array
            return [shift_and_scale(x, max_shift, scale_range, rng), z]
            """),
    ]},
}


CHEATS = {
    "constant_networks_losses_off_the_graph_and_a_zero_distance": {
        "edits": [
            ("5.1", 1, """
                self.fc(z)
                images = np.full((len(z), 1, 28, 28), -0.5, np.float32)
                images[:, :, ::2] = 0.5
                return chainer.Variable(images)
                """),
            ("5.1", 3, """
                return chainer.Variable(np.zeros((len(x), 1), np.float32))
                """),
            ("5.2", 0, """
                r = np.logaddexp(0, -np.asarray(getattr(y_real, "array", y_real), np.float64))
                f = np.logaddexp(0, np.asarray(getattr(y_fake, "array", y_fake), np.float64))
                return chainer.Variable(np.array(r.mean() + f.mean(), np.float32))
                """),
            ("5.2", 1, """
                f = np.logaddexp(0, -np.asarray(getattr(y_fake, "array", y_fake), np.float64))
                return chainer.Variable(np.array(f.mean(), np.float32))
                """),
            ("5.6", 0, """
                return 0.0
                """),
        ],
        "zero": ["5.1", "5.2", "5.6"],
        "hints": {"5.1": ["drew the same image", "gave the same score"],
                  "5.2": ["sent no gradient to the logits"],
                  "5.6": ["should be at a distance of about"]},
        "full_marks": ["5.3", "5.4", "5.5"],
    },
    # made-up answers that fit a loose window: only the means' distance (0 for the same set,
    # symmetric, and of about the right size for some draws), and codes of mean 0 and
    # deviation 1 that are not normal
    "the_means_distance_only_and_uniform_codes": {
        "edits": [
            ("5.4", "z = gen.device.send(rng.standard_normal((n, gen.n_latent)).astype(np.float32))",
             "z = gen.device.send(rng.uniform(-3 ** 0.5, 3 ** 0.5, (n, gen.n_latent))"
             ".astype(np.float32))", "fourth power"),
            ("5.6", 0, """
                return float(np.sum((f1.mean(axis=0) - f2.mean(axis=0)) ** 2))
                """),
        ],
        "zero": ["5.6"],
        "failed": ["5.4/codes_are_standard_normal_and_images_are_moved"],
        "full_marks": ["5.1", "5.2", "5.3", "5.5"],
    },
}


# Exercises that ask the learner to write what the library already has (checks.py declares it
# with write_yourself=...): calling the library's version, however it is reached, earns nothing
# for that exercise, with the hint "exercise N.M asks you to write this yourself".
_YOURSELF = "asks you to write this yourself"
_ALL = ["5.1", "5.2", "5.3", "5.4", "5.5", "5.6"]

CHEATS.update({
    "the_librarys_answers_imported_in_each_cell": {
        "edits": [
            ("5.1", 0, """
                from mlkit.models.dcgan import Generator as LibraryGenerator
                with self.init_scope():
                    self.net = LibraryGenerator(n_latent, width)
                """),
            ("5.1", 1, """
                return self.net(z)
                """),
            ("5.1", 2, """
                from mlkit.models.dcgan import Discriminator as LibraryDiscriminator
                with self.init_scope():
                    self.net = LibraryDiscriminator(width)
                """),
            ("5.1", 3, """
                return self.net(x)
                """),
            ("5.2", 0, """
                from mlkit.training.gan import discriminator_loss as library_loss
                return library_loss(y_real, y_fake)
                """),
            ("5.2", 1, """
                from mlkit.training.gan import generator_loss as library_loss
                return library_loss(y_fake)
                """),
            ("5.3", 0, """
                from mlkit.training.gan import GANUpdater
                loss_dis, x_fake = GANUpdater.update_discriminator(self, x_real, z)
                loss_gen = GANUpdater.update_generator(self, x_fake=x_fake)
                y_real, y_fake = self.dis(x_real), self.dis(x_fake.array)
                """),
            ("5.4", 0, """
                from mlkit.models.dcgan import generate, sample_z
                z = sample_z(n, gen.n_latent, rng)
                x = generate(gen, z)
                return shift_and_scale(x, max_shift, scale_range, rng), z
                """),
            ("5.5", 0, """
                from mlkit.training.gan import lerp as library_lerp
                return library_lerp(z0, z1, t.ravel())
                """),
            ("5.5", 1, """
                from mlkit.training.gan import slerp as library_slerp
                return library_slerp(z0, z1, t.ravel())
                """),
            ("5.6", 0, """
                from mlkit.metrics.gan import frechet_distance as library_distance
                return library_distance(f1, f2)
                """),
        ],
        "zero": _ALL,
        "hints": {e: [_YOURSELF] for e in _ALL},
    },
    "aliases_made_in_the_setup_cell": {
        "costless": [
            ("setup", "import chainer.links as L\n",
             "import chainer.links as L\n"
             "from mlkit.models import dcgan as nets\n"
             "from mlkit.training import gan as recipes\n"
             "from mlkit.metrics import frechet_distance as distance\n", None),
        ],
        "edits": [
            ("5.1", 0, """
                with self.init_scope():
                    self.inner = nets.Generator(n_latent, width)
                """),
            ("5.1", 1, """
                return self.inner(z)
                """),
            ("5.1", 2, """
                with self.init_scope():
                    self.inner = nets.Discriminator(width)
                """),
            ("5.1", 3, """
                return self.inner(x)
                """),
            ("5.2", 0, """
                return recipes.discriminator_loss(y_real, y_fake)
                """),
            ("5.2", 1, """
                return recipes.generator_loss(y_fake)
                """),
            ("5.3", 0, """
                loss_dis, x_fake = recipes.GANUpdater.update_discriminator(self, x_real, z)
                loss_gen = recipes.GANUpdater.update_generator(self, x_fake=x_fake)
                y_real, y_fake = self.dis(x_real), self.dis(x_fake.array)
                """),
            ("5.4", 0, """
                z = gen.sample_z(n, rng)
                x = nets.generate(gen, z)
                return shift_and_scale(x, max_shift, scale_range, rng), z
                """),
            ("5.5", 0, """
                return recipes.lerp(z0, z1, t.ravel())
                """),
            ("5.5", 1, """
                return recipes.slerp(z0, z1, t.ravel())
                """),
            ("5.6", 0, """
                return distance(f1, f2)
                """),
        ],
        "zero": _ALL,
        "hints": {e: [_YOURSELF] for e in _ALL},
    },
    "thin_wrappers_around_the_library": {
        "edits": [
            # the table's layers written out, but the library's forward run on them
            ("5.1", 1, """
                import mlkit.models.dcgan
                return mlkit.models.dcgan.Generator.forward(self, z)
                """),
            ("5.1", 3, """
                import mlkit.models.dcgan
                return mlkit.models.dcgan.Discriminator.forward(self, x)
                """),
            ("5.2", 0, """
                import functools
                import mlkit.training.gan
                loss = functools.partial(mlkit.training.gan.discriminator_loss)
                return loss(y_real, y_fake)
                """),
            ("5.2", 1, """
                import mlkit.training.gan
                return (lambda y: mlkit.training.gan.generator_loss(y))(y_fake)
                """),
            ("5.3", 0, """
                import mlkit.training.gan
                wrapped = type("Wrapped", (), {"step": mlkit.training.gan.GANUpdater.update_core})
                self.real_batch = lambda: x_real
                self.sample_z = lambda n, z=z: z
                wrapped.step(self)
                y_real, y_fake = self.dis(x_real), self.dis(self.gen(z).array)
                loss_dis = loss_gen = F.mean(y_fake)
                """),
            ("5.4", 0, """
                from mlkit.training import predict
                z = rng.standard_normal((n, gen.n_latent)).astype(np.float32)
                x = predict(gen, z)
                return shift_and_scale(x, max_shift, scale_range, rng), z
                """),
            ("5.5", 0, """
                import mlkit.training.gan as g
                walk = lambda a, b, s: g.lerp(a, b, s)     # noqa: E731
                return walk(z0, z1, t.ravel())
                """),
            ("5.5", 1, """
                import mlkit.training.gan as g
                walk = lambda a, b, s: g.slerp(a, b, s)    # noqa: E731
                return walk(z0, z1, t.ravel())
                """),
            ("5.6", 0, """
                from mlkit.metrics.gan import frechet_distance_gaussians, gaussian_stats
                return frechet_distance_gaussians(*gaussian_stats(f1), *gaussian_stats(f2))
                """),
        ],
        "zero": _ALL,
        "hints": {e: [_YOURSELF] for e in _ALL},
    },
    "subclasses_of_the_librarys_classes": {
        "costless": [
            ("setup", "import chainer.links as L\n",
             "import chainer.links as L\nfrom mlkit.models import dcgan as nets\n"
             "from mlkit.training import gan as recipes\n", None),
        ],
        "edits": [
            ("5.1", "class Generator(chainer.Chain):", "class Generator(nets.Generator):",
             _YOURSELF),
            ("5.1", 0, """
                nets.Generator.__init__(self, n_latent, width)
                """),
            ("5.1", 1, """
                return super().forward(z)
                """),
            ("5.1", "class Discriminator(chainer.Chain):",
             "class Discriminator(nets.Discriminator):", _YOURSELF),
            ("5.1", 2, """
                nets.Discriminator.__init__(self, width)
                """),
            ("5.1", 3, """
                return super().forward(x)
                """),
            ("5.3", "class DCGANUpdater(training.updaters.StandardUpdater):",
             "class DCGANUpdater(recipes.GANUpdater):", _YOURSELF),
            ("5.3", 'super().__init__(iterator, {"gen": opt_gen, "dis": opt_dis}, device=device)',
             "super().__init__(iterator, opt_gen, opt_dis, device=device, seed=seed)", None),
            ("5.3", 0, """
                loss_dis, x_fake = self.update_discriminator(x_real, z)
                loss_gen = self.update_generator(x_fake=x_fake)
                y_real, y_fake = self.dis(x_real), self.dis(x_fake.array)
                """),
            # a vectorizer pair from a subclass of the library's vectorizer updater
            ("5.4", 0, """
                class Pair(recipes.VectorizerUpdater):
                    def __init__(self):
                        pass
                z = recipes.LatentIterator(n, gen.n_latent, seed=rng).next()
                x = nets.generate(gen, z)
                return shift_and_scale(x, max_shift, scale_range, rng), z
                """),
        ],
        "zero": ["5.1", "5.3", "5.4"],
        "hints": {e: [_YOURSELF] for e in ["5.1", "5.3", "5.4"]},
    },
    "the_library_called_from_a_helper_function": {
        "edits": [
            ("5.1", 1, """
                def draw(model, codes):
                    import importlib
                    library = importlib.import_module("mlkit.models.dcgan")
                    return getattr(library, "Generator").forward(model, codes)
                return draw(self, z)
                """),
            ("5.1", 3, """
                def judge(model, images):
                    import importlib
                    library = importlib.import_module("mlkit.models.dcgan")
                    return getattr(library, "Discriminator").forward(model, images)
                return judge(self, x)
                """),
            ("5.2", 0, """
                def helper(*logits):
                    import importlib
                    return importlib.import_module("mlkit.training.gan").discriminator_loss(*logits)
                return helper(y_real, y_fake)
                """),
            ("5.2", 1, """
                def helper(*logits):
                    import importlib
                    return importlib.import_module("mlkit.training.gan").generator_loss(*logits)
                return helper(y_fake)
                """),
            ("5.4", 0, """
                def codes_and_images(g, count, r):
                    from mlkit.models import dcgan
                    codes = dcgan.sample_z(count, g.n_latent, r)
                    return dcgan.generate(g, codes), codes
                x, z = codes_and_images(gen, n, rng)
                return shift_and_scale(x, max_shift, scale_range, rng), z
                """),
            ("5.5", 0, """
                def helper(a, b, s):
                    import importlib
                    return importlib.import_module("mlkit.training.gan").lerp(a, b, s)
                return helper(z0, z1, t.ravel())
                """),
            ("5.5", 1, """
                def helper(a, b, s):
                    import importlib
                    return importlib.import_module("mlkit.training.gan").slerp(a, b, s)
                return helper(z0, z1, t.ravel())
                """),
            ("5.6", 0, """
                def helper(a, b):
                    import mlkit.metrics
                    return mlkit.metrics.frechet_distance(a, b)
                return helper(f1, f2)
                """),
        ],
        "zero": ["5.1", "5.2", "5.4", "5.5", "5.6"],
        "hints": {e: [_YOURSELF] for e in ["5.1", "5.2", "5.4", "5.5", "5.6"]},
    },
    # a made-up formula that falls into a loose window: only the means' distance (0 for the
    # same set, symmetric, and of the right size for some draws) earns nothing
    "the_means_distance_only": {
        "edits": [
            ("5.6", 0, """
                return float(np.sum((f1.mean(axis=0) - f2.mean(axis=0)) ** 2))
                """),
        ],
        "zero": ["5.6"],
    },
})
