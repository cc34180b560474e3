"""Lesson 1, logic gates and define-by-run: the checks of its ten exercises.

Each check builds its own data and models with fixed seeds and compares the learner's answer
with a reference computed here, so one exercise never depends on another one being right.
The typical mistakes of each exercise (int64 labels, float64 inputs, one output instead of two
class scores, gradients that pile up without ``cleargrads``) get a hint of their own.
"""
import copy

import numpy as np

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from mlkit.grading.hints import expect
from mlkit.grading.registry import Lesson

lesson = Lesson(1, "Logic gates and define-by-run", notebook="01_logic_gates")
lesson.exercise("1.1", "Truth tables as Chainer data")
lesson.exercise("1.2", "Noisy copies of a data set")
lesson.exercise("1.3", "A one-layer AND classifier")
lesson.exercise("1.4", "One SGD step by hand")
lesson.exercise("1.5", "One step with a Chainer optimizer")
lesson.exercise("1.6", "The best a line can do")
lesson.exercise("1.7", "A hidden layer for XOR")
lesson.exercise("1.8", "XOR as regression")
lesson.exercise("1.9", "Walking the graph back")
lesson.exercise("1.10", "Gradients by central differences")

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}


def _table(gate):
    return CORNERS.copy(), np.array(GATES[gate], dtype=np.int32)


# ---------------------------------------------------------------------------------------------
# Hints shared by several checks

def _dtype_problems(x, t):
    """The learner-facing sentences for wrong input / label dtypes (empty when both are right)."""
    problems = []
    if x.dtype != np.float32:
        problems.append(
            f"inputs x have dtype {x.dtype}, expected float32: L.Linear holds float32 weights "
            "and Chainer's type check rejects other float types (NumPy makes float64 by "
            "default, random numbers included), so return x.astype(np.float32)")
    if t.dtype != np.int32:
        problems.append(
            f"labels t have dtype {t.dtype}, expected int32: class labels are int32 in Chainer "
            "(np.array([0, 1]) is int64 on Linux), so return t.astype(np.int32)")
    return problems


def _scores_shape_hint(shape, n=4):
    return (f"for {n} inputs your model returned an output of shape {shape}; a classifier of "
            f"2 classes gives 2 class scores per input, shape ({n}, 2): "
            "use L.Linear(2, 2) (2 inputs -> 2 class scores)")


def _as_loss_float(value, exercise_call):
    """The returned loss as a float, or a hint saying what to return instead."""
    import chainer
    expect(not isinstance(value, chainer.Variable),
           f"{exercise_call} returned a chainer.Variable; return the loss as a Python float, "
           "float(loss.array) (a Variable keeps its whole graph alive in your history)")
    expect(isinstance(value, (float, np.floating)),
           f"{exercise_call} returned {type(value).__name__} ({value!r}); return the loss "
           "before the update as a float: float(loss.array)")
    return float(value)


def _params(model):
    return {name: np.array(p.array, copy=True) for name, p in sorted(model.namedparams())}


def _same_params(a, b, atol=1e-6):
    return all(np.allclose(a[k], b[k], atol=atol, rtol=1e-5) for k in a)


def _linear(seed, n_in=2, n_out=2):
    """An L.Linear with reproducible, non-trivial weights."""
    import chainer.links as L
    random = np.random.default_rng(seed)
    return L.Linear(n_in, n_out,
                    initialW=random.normal(0, 1, (n_out, n_in)).astype(np.float32),
                    initial_bias=random.normal(0, 0.5, n_out).astype(np.float32))


def _two_layer(seed, hidden=3):
    import chainer
    import chainer.functions as F

    class TwoLayer(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = _linear(seed, 2, hidden)
                self.l2 = _linear(seed + 1, hidden, 2)

        def forward(self, x):
            return self.l2(F.tanh(self.l1(x)))

    return TwoLayer()


def _reference_step(model, optimizer, x, t, clear=True):
    """One step as the lesson teaches it; ``clear=False`` is the forgotten-cleargrads mistake."""
    import chainer.functions as F
    loss = F.softmax_cross_entropy(model(x), t)
    if clear:
        model.cleargrads()
    loss.backward()
    optimizer.update()
    return float(loss.array)


def _train_reference(model, x, t, steps, lr):
    """Adam on the full batch; returns the final accuracy (the check's own training loop)."""
    import chainer
    import chainer.functions as F
    optimizer = chainer.optimizers.Adam(alpha=lr)
    optimizer.setup(model)
    for _ in range(steps):
        _reference_step(model, optimizer, x, t)
    with chainer.no_backprop_mode():
        return float(F.accuracy(model(x), t).array)


def _output_shape(model, n=4):
    import chainer
    with chainer.no_backprop_mode():
        return tuple(model(np.zeros((n, 2), np.float32)).shape)


# ---------------------------------------------------------------------------------------------
# 1.1 truth tables

@lesson.check("1.1", points=1, timeout=10)
def truth_tables_have_the_right_values(nb):
    for gate, outputs in GATES.items():
        x, t = nb.gate_dataset(gate)
        x, t = np.asarray(x), np.asarray(t)
        expect(x.shape == (4, 2), f"gate_dataset({gate!r}): x should have shape (4, 2), one row "
                                  f"per input pair, got {x.shape}")
        expect(t.shape == (4,), f"gate_dataset({gate!r}): t should have shape (4,), one label "
                                f"per row, got {t.shape}")
        expect(np.array_equal(x, CORNERS),
               f"gate_dataset({gate!r}): x should be the rows (0,0), (0,1), (1,0), (1,1) in "
               f"that order, got {x.tolist()}")
        expect(np.array_equal(t, outputs),
               f"gate_dataset({gate!r}): labels should be {outputs}, got {t.tolist()}")


@lesson.check("1.1", points=1, timeout=10)
def truth_tables_have_chainer_dtypes(nb):
    for gate in GATES:
        x, t = nb.gate_dataset(gate)
        problems = _dtype_problems(np.asarray(x), np.asarray(t))
        expect(not problems, f"gate_dataset({gate!r}): " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# 1.2 noisy copies

def _nearest(points, centres):
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


@lesson.check("1.2", points=1, timeout=10)
def noisy_copies_keep_each_label(nb):
    x, t = _table("xor")
    for copies in (1, 5):
        xs, ts = nb.noisy_copies(x, t, copies, 0.05, seed=1)
        xs, ts = np.asarray(xs, dtype=np.float64), np.asarray(ts)
        expect(xs.shape == (4 * copies, 2) and ts.shape == (4 * copies,),
               f"noisy_copies(x, t, copies={copies}) of 4 points should return x of shape "
               f"({4 * copies}, 2) and t of shape ({4 * copies},), got {xs.shape} and {ts.shape}")
        source = _nearest(xs, x.astype(np.float64))
        expect(np.array_equal(ts, t[source]),
               "each noisy point must keep the label of the point it was copied from; some "
               "labels do not match the nearest original point (copy x and t the same way, "
               "e.g. np.repeat(x, copies, axis=0) and np.repeat(t, copies))")
        expect(np.array_equal(np.bincount(source, minlength=4), [copies] * 4),
               f"every original point should appear exactly {copies} times; counts were "
               f"{np.bincount(source, minlength=4).tolist()}")
    xs, ts = nb.noisy_copies(x, t, 3, 0.0, seed=0)
    expect(np.allclose(np.sort(np.asarray(xs, np.float64), axis=0),
                       np.sort(np.repeat(x, 3, axis=0), axis=0)),
           "with noise=0 the copies must equal the original points")


@lesson.check("1.2", points=1, timeout=10)
def noisy_copies_are_seeded_gaussian_noise(nb):
    x, t = _table("and")
    a, _ = nb.noisy_copies(x, t, 300, 0.1, seed=3)
    b, _ = nb.noisy_copies(x, t, 300, 0.1, seed=3)
    c, _ = nb.noisy_copies(x, t, 300, 0.1, seed=4)
    expect(np.array_equal(a, b), "the same seed must give the same numbers: make a generator "
                                 "from it, rng = np.random.default_rng(seed), and draw from rng")
    expect(not np.array_equal(a, c), "different seeds gave the same numbers: draw the noise "
                                     "from np.random.default_rng(seed)")
    a = np.asarray(a, np.float64)
    residual = a - x[_nearest(a, x.astype(np.float64))]
    spread = residual.std()
    expect(abs(residual.mean()) < 0.02 and 0.085 < spread < 0.115,
           f"the noise should be Gaussian with mean 0 and standard deviation noise=0.1; "
           f"measured mean {residual.mean():.3f} and std {spread:.3f} (multiply standard "
           "normal numbers by noise)")


@lesson.check("1.2", points=1, timeout=10)
def noisy_copies_have_chainer_dtypes(nb):
    x, t = _table("or")
    xs, ts = nb.noisy_copies(x, t, 2, 0.1, seed=0)
    problems = _dtype_problems(np.asarray(xs), np.asarray(ts))
    expect(not problems, "noisy_copies: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# 1.3 the AND model

@lesson.check("1.3", points=1, timeout=10)
def and_model_is_one_fresh_layer(nb):
    import chainer
    model = nb.make_and_model()
    expect(isinstance(model, chainer.Link),
           f"make_and_model() should return a chainer Link (like L.Linear(...)), got "
           f"{type(model).__name__}")
    expect(nb.make_and_model() is not model,
           "make_and_model() returned the same object twice; build a new model on each call")
    _output_shape(model)      # a lazily sized L.Linear(None, ...) gets its weights here
    shapes = sorted(p.shape for p in model.params())
    expect(len(shapes) == 2 and sorted(len(s) for s in shapes) == [1, 2],
           f"AND is linearly separable: one Linear layer (one weight matrix and one bias) is "
           f"enough, and this exercise asks for exactly that; your model's parameters have "
           f"shapes {shapes}")


@lesson.check("1.3", points=1, timeout=10)
def and_model_gives_two_class_scores(nb):
    shape = _output_shape(nb.make_and_model())
    expect(shape == (4, 2), _scores_shape_hint(shape))


@lesson.check("1.3", points=1, timeout=20)
def and_model_learns_and(nb):
    mlkit.seed(0)
    model = nb.make_and_model()
    shape = _output_shape(model)
    expect(shape == (4, 2), _scores_shape_hint(shape))
    x, t = _table("and")
    accuracy = _train_reference(model, x, t, steps=200, lr=0.1)
    expect(accuracy == 1.0, f"after 200 Adam steps on AND your model reaches only "
                            f"{100 * accuracy:.0f} % accuracy; a single L.Linear(2, 2) gets 100 %")


# ---------------------------------------------------------------------------------------------
# 1.4 and 1.5: one training step

def _step_hint(name, before, after, stale):
    """Why the parameters after the learner's step(s) differ from the reference."""
    if any(np.isnan(value).any() for value in after.values()):
        return (f"after {name} the parameters are NaN: a new Chainer parameter's gradient "
                "starts out filled with NaN, and backward() adds to the gradient already there; "
                "call model.cleargrads() before loss.backward() in every step")
    if _same_params(after, before, atol=0):
        return (f"{name} did not change the parameters; update them in place (p.array -= "
                "lr * p.grad changes the array the model holds; p = p - ... only rebinds p)")
    if stale is not None and _same_params(after, stale):
        return (f"calling {name} twice moved the parameters by the sum of both steps' "
                "gradients: Chainer adds each backward() to the gradients already there, so "
                "call model.cleargrads() before loss.backward() in every step")
    return (f"after {name} the parameters differ from one step of gradient descent "
            "(forward, model.cleargrads(), loss.backward(), then step against the gradient)")


def _sgd_by_hand_reference(model, x, t, lr, clear=True):
    import chainer.functions as F
    loss = F.softmax_cross_entropy(model(x), t)
    if clear:
        model.cleargrads()
    loss.backward()
    for p in model.params():
        p.array -= lr * p.grad
    return float(loss.array)


@lesson.check("1.4", points=1, timeout=10)
def sgd_step_moves_against_the_gradient(nb):
    x, t = _table("and")
    model = _linear(seed=11)
    model.cleargrads()        # this check is about the step; the next one about cleargrads
    before = _params(model)
    reference = copy.deepcopy(model)
    expected_loss = _sgd_by_hand_reference(reference, x, t, lr=0.5)
    loss = _as_loss_float(nb.sgd_step(model, x, t, 0.5), "sgd_step(model, x, t, lr)")
    expect(abs(loss - expected_loss) < 1e-5,
           f"sgd_step returned loss {loss:.5f}; the softmax cross-entropy before the update is "
           f"{expected_loss:.5f}")
    after, expected = _params(model), _params(reference)
    uphill = {name: 2 * before[name] - expected[name] for name in before}  # W + lr * grad
    expect(not _same_params(after, uphill),
           "your step went uphill: subtract the gradient, p.array -= lr * p.grad")
    expect(_same_params(after, expected), _step_hint("sgd_step", before, after, None))


@lesson.check("1.4", points=1, timeout=10)
def sgd_step_twice_clears_gradients(nb):
    x, t = _table("xor")
    model = _two_layer(seed=21)          # fresh: its gradients are NaN until cleared
    before = _params(model)
    reference, stale = copy.deepcopy(model), copy.deepcopy(model)
    stale.cleargrads()                   # so that the accumulation shows as numbers, not NaN
    for _ in range(2):
        _sgd_by_hand_reference(reference, x, t, lr=0.3)
        _sgd_by_hand_reference(stale, x, t, lr=0.3, clear=False)
        nb.sgd_step(model, x, t, 0.3)
    after = _params(model)
    expect(_same_params(after, _params(reference)),
           _step_hint("sgd_step", before, after, _params(stale)))


@lesson.check("1.5", points=1, timeout=10)
def train_step_returns_the_loss(nb):
    import chainer
    import chainer.functions as F
    x, t = _table("or")
    model = _linear(seed=31)
    reference = copy.deepcopy(model)
    optimizer = chainer.optimizers.SGD(lr=0.5)
    optimizer.setup(model)
    expected = F.softmax_cross_entropy(reference(x), t).array
    loss = _as_loss_float(nb.train_step(model, optimizer, x, t),
                          "train_step(model, optimizer, x, t)")
    expect(abs(loss - float(expected)) < 1e-5,
           f"train_step returned loss {loss:.5f}; the softmax cross-entropy before the update "
           f"is {float(expected):.5f}")


@lesson.check("1.5", points=1, timeout=10)
def train_step_lets_the_optimizer_update(nb):
    import chainer
    x, t = _table("and")
    for make_optimizer in (lambda: chainer.optimizers.SGD(lr=0.5),
                           lambda: chainer.optimizers.Adam(alpha=0.05)):
        model = _linear(seed=41)
        model.cleargrads()    # the next check is the one about cleargrads
        before = _params(model)
        reference = copy.deepcopy(model)
        optimizer, reference_optimizer = make_optimizer(), make_optimizer()
        optimizer.setup(model)
        reference_optimizer.setup(reference)
        _reference_step(reference, reference_optimizer, x, t)
        nb.train_step(model, optimizer, x, t)
        after = _params(model)
        expect(not _same_params(after, before, atol=0),
               f"train_step did not change the parameters with {type(optimizer).__name__}: "
               "call optimizer.update() after loss.backward() (and cleargrads before backward)")
        expect(not any(np.isnan(v).any() for v in after.values()),
               _step_hint("train_step", before, after, None))
        expect(_same_params(after, _params(reference)),
               f"with {type(optimizer).__name__}, one train_step should change the parameters "
               "exactly as one optimizer.update() after loss.backward(); let the optimizer "
               "make the step (do not update p.array yourself)")


@lesson.check("1.5", points=1, timeout=10)
def train_step_twice_clears_gradients(nb):
    import chainer
    x, t = _table("xor")
    model = _two_layer(seed=51)          # fresh: its gradients are NaN until cleared
    before = _params(model)
    reference, stale = copy.deepcopy(model), copy.deepcopy(model)
    stale.cleargrads()                   # so that the accumulation shows as numbers, not NaN
    optimizers = []
    for target in (model, reference, stale):
        optimizer = chainer.optimizers.SGD(lr=0.3)
        optimizer.setup(target)
        optimizers.append(optimizer)
    for _ in range(2):
        nb.train_step(model, optimizers[0], x, t)
        _reference_step(reference, optimizers[1], x, t)
        _reference_step(stale, optimizers[2], x, t, clear=False)
    after = _params(model)
    expect(_same_params(after, _params(reference)),
           _step_hint("train_step", before, after, _params(stale)))


# ---------------------------------------------------------------------------------------------
# 1.6 the best linear classifier

@lesson.check("1.6", points=1, timeout=10)
def a_line_solves_and_and_or(nb):
    for gate in ("and", "or"):
        x, t = _table(gate)
        best = nb.best_linear_accuracy(x, t, n_trials=1000, seed=0)
        expect(isinstance(best, (float, np.floating)) and 0 <= best <= 1,
               f"best_linear_accuracy should return an accuracy, a float between 0 and 1; got "
               f"{best!r}")
        expect(best == 1.0,
               f"{gate.upper()} is linearly separable, so the best of 1000 random linear "
               f"classifiers gets all 4 points right (1.0); yours reported {best}: return the "
               "best (maximum) accuracy, where accuracy = mean of (argmax of the 2 scores == t)")


@lesson.check("1.6", points=1, timeout=10)
def a_line_stays_at_75_percent_on_xor(nb):
    x, t = _table("xor")
    for seed in (0, 1):
        best = float(nb.best_linear_accuracy(x, t, n_trials=500, seed=seed))
        expect(best <= 0.75,
               f"no straight line puts all four XOR corners on the right side, so no linear "
               f"classifier gets more than 3 of 4 right (0.75); yours reported {best}: compare "
               "each point's argmax class with its own label")
        expect(best == 0.75,
               f"the best of 500 random linear classifiers gets 3 of the 4 XOR corners right "
               f"(0.75); yours reported {best}: return the maximum over the trials, not the "
               "last or the mean")


# ---------------------------------------------------------------------------------------------
# 1.7 the MLP

def _linear_layers(model):
    import chainer.links as L
    return [link for link in model.links() if isinstance(link, L.Linear)]


@lesson.check("1.7", points=1, timeout=10)
def mlp_has_a_hidden_layer(nb):
    for n_hidden in (3, 8):
        model = nb.make_xor_mlp(n_hidden)
        shape = _output_shape(model)
        expect(shape == (4, 2), _scores_shape_hint(shape))
        widths = sorted(link.W.shape for link in _linear_layers(model))
        expect((n_hidden, 2) in widths and (2, n_hidden) in widths,
               f"make_xor_mlp({n_hidden}) should hold two Linear layers, 2 -> {n_hidden} "
               f"(hidden) and {n_hidden} -> 2 (class scores), registered in init_scope(); "
               f"its Linear weights have shapes {widths}")


@lesson.check("1.7", points=1, timeout=10)
def mlp_is_not_linear(nb):
    import chainer
    model = nb.make_xor_mlp(8)
    random = np.random.default_rng(7)
    a = random.normal(0, 1, (64, 2)).astype(np.float32)
    b = random.normal(0, 1, (64, 2)).astype(np.float32)
    with chainer.no_backprop_mode():
        f = lambda v: np.asarray(model(v).array, np.float64)  # noqa: E731
        gap = np.abs(f(a) + f(b) - f(a + b) - f(np.zeros_like(a))).max()
    expect(gap > 1e-3, "your network is linear (f(a) + f(b) = f(a + b) + f(0)): two Linear "
                       "layers in a row are one linear map and cannot solve XOR; apply a "
                       "nonlinearity such as F.tanh, F.sigmoid or F.relu to the hidden layer")


@lesson.check("1.7", points=1, timeout=25)
def mlp_learns_xor(nb):
    x, t = _table("xor")
    accuracies = []
    for seed in range(3):
        mlkit.seed(seed)
        model = nb.make_xor_mlp(8)
        accuracies.append(_train_reference(model, x, t, steps=300, lr=0.05))
        if accuracies[-1] == 1.0:
            return
    expect(False, f"trained with Adam for 300 steps from 3 seeds, your MLP reached "
                  f"{', '.join(f'{100 * a:.0f} %' for a in accuracies)} on XOR; a 2-8-2 tanh "
                  "network gets 100 %")


# ---------------------------------------------------------------------------------------------
# 1.8 XOR as regression

def _regression_loss(nb, model, x, t):
    from chainer.utils.type_check import InvalidType
    try:
        return nb.xor_regression_loss(model, x, t)
    except InvalidType as error:
        message = str(error)
        if "shape" in message:
            expect(False, "F.mean_squared_error needs targets of the output's shape (N, 1); "
                          "turn the labels into a column: t.astype(np.float32).reshape(-1, 1)")
        if "dtype" in message:
            expect(False, "F.mean_squared_error needs float32 targets like the model's output; "
                          "convert the int32 labels: t.astype(np.float32).reshape(-1, 1)")
        raise


@lesson.check("1.8", points=1, timeout=10)
def regression_loss_is_the_mean_squared_error(nb):
    x, t = _table("xor")
    model = _linear(seed=61, n_out=1)
    loss = _regression_loss(nb, model, x, t)
    value = float(np.asarray(getattr(loss, "array", loss)))
    y = x.astype(np.float64) @ model.W.array.T.astype(np.float64) + model.b.array
    expected = float(((y[:, 0] - t) ** 2).mean())
    expect(abs(value - expected) < 1e-5,
           f"for a model with one output the mean squared error against the labels is "
           f"{expected:.5f}; yours gave {value:.5f} (mean over the points of (y - t)^2, "
           "F.mean_squared_error)")


@lesson.check("1.8", points=1, timeout=10)
def regression_loss_can_be_backpropagated(nb):
    import chainer
    import chainer.functions as F
    x, t = _table("xor")
    model = _linear(seed=62, n_out=1)
    reference = copy.deepcopy(model)
    loss = _regression_loss(nb, model, x, t)
    expect(isinstance(loss, chainer.Variable),
           f"xor_regression_loss should return the loss Variable (so that loss.backward() "
           f"works), got {type(loss).__name__}")
    model.cleargrads()
    loss.backward()
    expected = F.mean_squared_error(reference(x), t.astype(np.float32).reshape(-1, 1))
    reference.cleargrads()
    expected.backward()
    expect(model.W.grad is not None and np.allclose(model.W.grad, reference.W.grad, atol=1e-6),
           "loss.backward() did not give the gradient of the mean squared error with respect to "
           "the model's weights: compute the loss from model(x) with Chainer functions")


# ---------------------------------------------------------------------------------------------
# 1.9 the graph

def _names(nb, y, what):
    names = nb.graph_function_names(y)
    expect(isinstance(names, (list, tuple)),
           f"graph_function_names should return a list of names, got {type(names).__name__}")
    names = list(names)
    expect(all(isinstance(n, str) for n in names),
           f"graph_function_names should return the functions' names as strings "
           f"(type(function).__name__), got {names!r} for {what}")
    return names


def _walk(y):
    """The functions from y back to its input, through each function's first input."""
    functions, function = [], y.creator
    while function is not None:
        functions.append(function)
        function = function.inputs[0].creator
    return functions


def _expect_names(names, y, expected, what):
    """``expected`` are class names; each function's ``label`` is accepted as well."""
    functions = _walk(y)
    assert [type(f).__name__ for f in functions] == expected, "the check's own graph is off"
    labels = [f.label for f in functions]
    if names in (expected, labels):
        return
    if len(expected) > 1 and names in (expected[::-1], labels[::-1]):
        expect(False, f"for {what} your list runs from the input to the loss; start at the "
                      f"loss (y.creator) and walk back: expected {expected}")
    expect(False, f"for {what} expected {expected} (the functions' class names, "
                  f"type(function).__name__), got {names}")


@lesson.check("1.9", points=1, timeout=3)
def graph_names_of_models(nb):
    import chainer.functions as F
    x, t = _table("and")
    model = _linear(seed=71)
    loss = F.softmax_cross_entropy(model(x), t)
    _expect_names(_names(nb, loss, "the AND loss"), loss,
                  ["SoftmaxCrossEntropy", "LinearFunction"],
                  "F.softmax_cross_entropy(L.Linear(2, 2)(x), t)")
    mlp = _two_layer(seed=72)
    loss = F.softmax_cross_entropy(mlp(x), t)
    _expect_names(_names(nb, loss, "the MLP loss"), loss,
                  ["SoftmaxCrossEntropy", "LinearFunction", "Tanh", "LinearFunction"],
                  "the loss of a 2-3-2 tanh MLP")
    y = F.mean_squared_error(F.sigmoid(_linear(seed=73, n_out=1)(x)),
                             t.astype(np.float32).reshape(-1, 1))
    _expect_names(_names(nb, y, "the regression loss"), y,
                  ["MeanSquaredError", "Sigmoid", "LinearFunction"],
                  "F.mean_squared_error(F.sigmoid(L.Linear(2, 1)(x)), targets)")


@lesson.check("1.9", points=1, timeout=3)
def graph_names_follow_control_flow(nb):
    import chainer
    import chainer.functions as F
    leaf = chainer.Variable(np.ones((2, 2), np.float32))
    _expect_names(_names(nb, leaf, "a leaf"), leaf, [],
                  "a Variable made by hand (no creator, so no function)")
    for n in (1, 3):
        h = leaf
        for _ in range(n):
            h = F.sin(h)
        _expect_names(_names(nb, h, f"sin applied {n} times"), h, ["Sin"] * n,
                      f"F.sin applied {n} times in a Python loop")
    y = leaf * 2 + 1
    _expect_names(_names(nb, y, "x * 2 + 1"), y, ["AddConstant", "MulConstant"], "x * 2 + 1")


# ---------------------------------------------------------------------------------------------
# 1.10 numerical gradients

def _numerical(nb, f, x, eps, what):
    original = x.copy()
    grad = nb.numerical_gradient(f, x, eps)
    expect(np.array_equal(x, original),
           f"numerical_gradient changed its input x ({what}); work on a copy, or put every "
           "entry back after nudging it")
    grad = np.asarray(getattr(grad, "array", grad), dtype=np.float64)
    expect(grad.shape == x.shape, f"the gradient has one entry per entry of x: expected shape "
                                  f"{x.shape}, got {grad.shape} ({what})")
    return grad


def _expect_gradient(grad, exact, eps, what):
    error = float(np.abs(grad - exact).max())
    if error > 1e-5 and error < 30 * eps:
        expect(False, f"your gradient of {what} is off by {error:.1e}, about eps itself: a "
                      "one-sided difference (f(x + eps) - f(x)) / eps is only first-order "
                      "accurate; use central differences (f(x + eps) - f(x - eps)) / (2 eps)")
    expect(error <= 1e-5, f"your gradient of {what} is off by {error:.2g} (largest difference "
                          "from the exact one); nudge one entry at a time by +eps and -eps and "
                          "divide the change of f by 2 eps")


@lesson.check("1.10", points=1, timeout=10)
def numerical_gradient_matches_calculus(nb):
    random = np.random.default_rng(81)
    cases = [("sum(x ** 2)", lambda v: float((v ** 2).sum()), lambda v: 2 * v, (3,)),
             ("sum(x ** 3)", lambda v: float((v ** 3).sum()), lambda v: 3 * v ** 2, (4,)),
             ("sum(sin(x))", lambda v: float(np.sin(v).sum()), np.cos, (2, 3))]
    for what, f, derivative, shape in cases:
        x = random.uniform(0.5, 1.5, shape)
        grad = _numerical(nb, f, x, 1e-3, what)
        _expect_gradient(grad, derivative(x), 1e-3, what)


@lesson.check("1.10", points=1, timeout=10)
def numerical_gradient_matches_backward(nb):
    import chainer
    import chainer.functions as F
    x, t = _table("xor")
    x = x.astype(np.float64)
    random = np.random.default_rng(82)
    W = random.normal(0, 1, (2, 2))
    b = random.normal(0, 1, 2)

    def loss_of(weights):
        return float(F.softmax_cross_entropy(F.linear(x, weights, b), t).array)

    variable = chainer.Variable(W.copy())
    F.softmax_cross_entropy(F.linear(x, variable, b), t).backward()
    grad = _numerical(nb, loss_of, W.copy(), 1e-4, "a softmax cross-entropy loss")
    _expect_gradient(grad, variable.grad, 1e-4, "the AND-model loss with respect to W")
