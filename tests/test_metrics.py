"""mlkit.metrics: accuracy and the confusion matrix, checked against their definitions and
against scikit-learn on random inputs."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

import mlkit  # noqa: F401
from mlkit.metrics import accuracy, confusion_matrix


@st.composite
def labelled_predictions(draw, max_classes=12, max_n=60):
    k = draw(st.integers(1, max_classes))
    n = draw(st.integers(1, max_n))
    labels = st.integers(0, k - 1)
    true = draw(hnp.arrays(np.int32, n, elements=labels))
    predicted = draw(hnp.arrays(np.int32, n, elements=labels))
    return k, true, predicted


@pytest.mark.filterwarnings("ignore::UserWarning")   # scikit-learn on a single-class case
@settings(max_examples=60, deadline=None)
@given(labelled_predictions())
def test_confusion_matrix_matches_scikit_learn_and_its_margins(case):
    k, true, predicted = case
    matrix = confusion_matrix(true, predicted, n_classes=k)
    assert matrix.shape == (k, k) and matrix.dtype == np.int64
    assert np.array_equal(matrix, sklearn_confusion_matrix(true, predicted, labels=range(k)))
    assert matrix.sum() == len(true)
    assert np.array_equal(matrix.sum(axis=1), np.bincount(true, minlength=k))
    assert np.array_equal(matrix.sum(axis=0), np.bincount(predicted, minlength=k))


@settings(max_examples=60, deadline=None)
@given(labelled_predictions(), st.integers(0, 2 ** 31 - 1))
def test_accuracy_is_the_trace_of_the_confusion_matrix_over_n(case, seed):
    k, true, predicted = case
    # Scores whose argmax is `predicted`: noise below 1, plus 2 at the predicted class.
    scores = np.random.default_rng(seed).random((len(true), k)).astype(np.float32)
    scores[np.arange(len(true)), predicted] += 2
    value = accuracy(scores, true)
    assert isinstance(value, float)
    assert value == pytest.approx(np.trace(confusion_matrix(true, predicted, k)) / len(true))
    assert value == pytest.approx(np.mean(predicted == true))


def test_accuracy_on_a_hand_made_example():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], np.float32)
    assert accuracy(scores, np.array([1, 0, 0, 0])) == 0.75
    assert accuracy(scores, np.array([0, 1, 0, 1])) == 0.0


def test_accuracy_accepts_a_chainer_variable():
    import chainer
    scores = chainer.Variable(np.eye(3, dtype=np.float32))
    assert accuracy(scores, np.array([0, 1, 2], np.int32)) == 1.0


def test_confusion_matrix_rows_are_true_classes():
    matrix = confusion_matrix(np.array([2, 2, 0]), np.array([1, 1, 0]), n_classes=3)
    assert matrix[2, 1] == 2 and matrix[1, 2] == 0 and matrix[0, 0] == 1


def test_confusion_matrix_infers_the_number_of_classes():
    assert confusion_matrix(np.array([0, 3]), np.array([1, 0])).shape == (4, 4)


@pytest.mark.parametrize("true, predicted, n_classes, error", [
    (np.array([0, 1]), np.array([0]), 2, ValueError),           # lengths differ
    (np.array([0, 5]), np.array([0, 1]), 3, ValueError),        # label out of range
    (np.array([0.0, 1.0]), np.array([0, 1]), 2, TypeError),     # float labels
    (np.zeros((2, 2), int), np.zeros((2, 2), int), 2, ValueError),  # not 1-D
])
def test_confusion_matrix_rejects_bad_labels(true, predicted, n_classes, error):
    with pytest.raises(error):
        confusion_matrix(true, predicted, n_classes)


def test_accuracy_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        accuracy(np.zeros((3, 4), np.float32), np.zeros(2, np.int32))
    with pytest.raises(ValueError):
        accuracy(np.zeros((0, 4), np.float32), np.zeros(0, np.int32))
