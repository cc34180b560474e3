"""Released lessons are in the form Jupyter saves them, and the course's JupyterLab opens them
without marking them modified (and without asking about "official Jupyter news")."""
import asyncio
import json
import sys
from pathlib import Path

import nbformat
import pytest

from mlkit.grading.release import LANGUAGE_INFO, learner_version

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "course").glob("0[1-3]_*/solution.ipynb"))

pytest.importorskip("jupyter_server", reason="JupyterLab is not installed (pip install -e '.[lab]')")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_release_writes_what_nbformat_writes(solution, tmp_path):
    text = learner_version(solution)
    notebook = nbformat.reads(text, as_version=4)
    assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5)
    assert all(cell.get("id") for cell in notebook.cells)
    written = tmp_path / "written.ipynb"
    nbformat.write(notebook, written)
    assert written.read_text() == text
    assert text.endswith("}\n") and text.startswith('{\n "cells": [\n  {\n')


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_a_jupyter_save_round_trip_leaves_a_lesson_unchanged(solution, tmp_path):
    from jupyter_server.services.contents.filemanager import FileContentsManager
    (tmp_path / solution.name).write_text(learner_version(solution))
    manager = FileContentsManager(root_dir=str(tmp_path))
    manager.save(manager.get(solution.name, content=True), solution.name)
    assert (tmp_path / solution.name).read_text() == learner_version(solution)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_the_course_server_serves_what_the_kernel_will_set_and_saves_the_release(solution,
                                                                               tmp_path):
    from ipykernel.ipkernel import IPythonKernel

    from mlkit.lab import LessonContentsManager
    released = learner_version(solution)
    (tmp_path / solution.name).write_text(released)
    manager = LessonContentsManager(root_dir=str(tmp_path))

    async def open_and_save():
        model = await manager.get(solution.name, content=True)
        metadata = model["content"]["metadata"]
        # JupyterLab sets these when the kernel starts; equal values leave the notebook clean
        assert metadata["language_info"] == IPythonKernel.language_info
        assert metadata["kernelspec"] == {"name": "python3", "language": "python",
                                          "display_name": "Python 3 (ipykernel)"}
        await manager.save(json.loads(json.dumps(model, default=str)), solution.name)

    asyncio.run(open_and_save())
    assert (tmp_path / solution.name).read_text() == released
    assert {**LANGUAGE_INFO, "version": IPythonKernel.language_info["version"]} == \
        IPythonKernel.language_info


def test_make_lab_turns_off_the_jupyter_news_question():
    from jupyterlab_server.settings_utils import _get_overrides
    makefile = (REPO / "Makefile").read_text()
    assert "--LabApp.app_settings_dir=$(CURDIR)/jupyter/lab-settings" in makefile
    assert "--ServerApp.contents_manager_class=mlkit.lab.LessonContentsManager" in makefile
    overrides, error = _get_overrides(str(REPO / "jupyter" / "lab-settings"))
    assert not error
    plugin = "@jupyterlab/apputils-extension:notification"
    assert overrides[plugin]["fetchNews"] == "false"      # "none" asks; "false" never fetches
    # the setting exists, under that name, in the installed JupyterLab
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    schema = schemas / "@jupyterlab" / "apputils-extension" / "notification.json"
    if not schema.exists():
        pytest.skip(f"JupyterLab's schemas are not at {schemas}")
    properties = json.loads(schema.read_text())["properties"]
    assert {"false", "none"} <= {choice["const"] for choice in properties["fetchNews"]["oneOf"]}
    assert "checkForUpdates" in properties
