"""The course's own Jupyter server (``make lab``): a lesson opens without being marked modified.

When a kernel starts, JupyterLab writes the kernel's ``language_info`` into the notebook's
metadata, and any change there marks the notebook modified: closing an untouched lesson would
ask to save it, and saving would change the file. ``mlkit release`` writes every field of
``language_info`` except the Python version, which differs between machines. This contents
manager adds that version when it serves a notebook (the server runs on the kernel's Python,
both from the course's ``.venv``), and takes it out again when it saves, so an untouched lesson
stays byte for byte as released.

    jupyter lab --ServerApp.contents_manager_class=mlkit.lab.LessonContentsManager
"""
import copy
import platform

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

from mlkit.grading.release import LANGUAGE_INFO

__all__ = ["LessonContentsManager", "kernel_language_info"]


def kernel_language_info():
    """The ``language_info`` a Python kernel of this interpreter reports (ipykernel's)."""
    return {**copy.deepcopy(LANGUAGE_INFO), "version": platform.python_version()}


def as_served(metadata):
    """Add the Python version to the released ``language_info`` (in place)."""
    info = metadata.get("language_info")
    if info == LANGUAGE_INFO:
        metadata["language_info"] = kernel_language_info()
    return metadata


def as_released(metadata):
    """Take out what :func:`as_served` added (in place); other metadata stays as it is."""
    if metadata.get("language_info") == kernel_language_info():
        metadata["language_info"] = copy.deepcopy(LANGUAGE_INFO)
    return metadata


class LessonContentsManager(AsyncLargeFileManager):
    """Jupyter's file contents manager, with the Python version added on opening a notebook
    and taken out on saving it."""

    async def get(self, path, content=True, type=None, format=None, **options):
        model = await super().get(path, content=content, type=type, format=format, **options)
        if model.get("type") == "notebook" and model.get("content"):
            as_served(model["content"]["metadata"])
        return model

    async def save(self, model, path=""):
        if model.get("type") == "notebook" and model.get("content"):
            model = {**model, "content": copy.deepcopy(model["content"])}
            as_released(model["content"]["metadata"])
        return await super().save(model, path)
