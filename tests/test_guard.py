"""mlkit.needs: a cell that needs an unfinished exercise says which, in one line, and stops."""
import pytest

import mlkit
from mlkit.needs import ExerciseNotDone, NeedsTransformer, install, needs, unfinished

IPython = pytest.importorskip("IPython")

STUB = '''
def sgd_step(model, x, t, lr):
    """One step."""
    # YOUR CODE HERE
    raise NotImplementedError("exercise 1.4: replace this line with your code")
'''

STUB_CLASS = '''
class XorMLP:
    def __init__(self, n_hidden=8):
        # YOUR CODE HERE
        raise NotImplementedError("exercise 1.7: replace this line with your code")

def make_xor_mlp(n_hidden=8):
    return XorMLP(n_hidden)
'''


def namespace_of(source):
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


def test_stubs_are_found_directly_in_classes_and_through_calls():
    assert "exercise 1.4" in unfinished(["sgd_step"], namespace_of(STUB))
    ns = namespace_of(STUB_CLASS)
    assert "exercise 1.7" in unfinished(["make_xor_mlp"], ns)   # a given helper calls the stub
    assert "exercise 1.7" in unfinished(["XorMLP"], ns)
    done = namespace_of("def sgd_step(m, x, t, lr):\n    return 1.0\nlosses = [1.0]\n")
    assert unfinished(["sgd_step", "losses", "len"], done) is None
    assert "`losses` is not defined yet" in unfinished(["losses"], namespace_of(""))


def test_a_finished_exercise_that_mentions_not_implemented_is_not_a_stub():
    ns = namespace_of('def f():\n    raise NotImplementedError("not for floats")\n')
    assert unfinished(["f"], ns) is None


def test_needs_outside_a_cell_raises_one_line():
    with pytest.raises(ExerciseNotDone, match="finish exercise 1.4 first") as caught:
        needs("sgd_step", namespace=namespace_of(STUB))
    assert caught.value._render_traceback_() == [str(caught.value)]
    with pytest.raises(TypeError):
        needs(lambda: 0)


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    assert install(shell) and install(shell)
    assert sum(isinstance(t, NeedsTransformer) for t in shell.ast_transformers) == 1
    shell.user_ns["mlkit"] = mlkit
    yield shell
    shell.ast_transformers[:] = [t for t in shell.ast_transformers
                                 if not isinstance(t, NeedsTransformer)]
    InteractiveShell.clear_instance()


def test_in_ipython_the_cell_stops_quietly_and_the_next_cell_runs(shell, capsys):
    assert shell.run_cell(STUB).success
    result = shell.run_cell('mlkit.needs("sgd_step")\nreached = True\nprint("drawn")\n')
    printed = capsys.readouterr().out
    assert result.success and result.error_in_exec is None   # "Run All" goes on
    assert printed.strip().splitlines() == [
        "(waiting) finish exercise 1.4 first: this cell uses `sgd_step`, which still waits for your code"]
    assert "reached" not in shell.user_ns
    assert shell.run_cell("demo = 1 + 1").success              # a demo that needs nothing runs


def test_in_ipython_a_ready_cell_runs_and_shows_its_last_value(shell, capsys):
    shell.run_cell("def sgd_step(*a):\n    return 0.5\n")
    result = shell.run_cell('x = 1\nmlkit.needs("sgd_step")\ny = sgd_step() + x\ny * 2\n')
    assert result.success and result.result == 3.0
    assert shell.user_ns["y"] == 1.5
    assert shell.run_cell('mlkit.needs("sgd_step")').success        # nothing after the line
    result = shell.run_cell('mlkit.needs("sgd_step")\nfor i in range(2):\n    z = i\n')
    assert result.success and shell.user_ns["z"] == 1


def test_a_real_error_in_a_ready_cell_still_shows(shell):
    shell.run_cell("def sgd_step(*a):\n    return 0.5\n")
    result = shell.run_cell('mlkit.needs("sgd_step")\n1 / 0\n')
    assert isinstance(result.error_in_exec, ZeroDivisionError)
