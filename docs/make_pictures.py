"""Make the README's lesson pictures: run each solution notebook and keep the figure of the cell
tagged ``readme-picture``.

    MLKIT_MODE=cpu .venv/bin/python docs/make_pictures.py
"""
import base64
import os
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def picture_of(path):
    """The PNG bytes shown by the notebook's cell tagged ``readme-picture``."""
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "readme-picture" in c.metadata.get("tags", [])]
    if not tagged:
        raise SystemExit(f"{path.name}: no cell is tagged readme-picture")
    with tempfile.TemporaryDirectory() as scratch:
        NotebookClient(notebook, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": scratch}}).execute()
    for output in tagged[0].outputs:
        if "image/png" in output.get("data", {}):
            return base64.b64decode(output["data"]["image/png"])
    raise SystemExit(f"{path.name}: the readme-picture cell shows no PNG")


def main():
    os.environ.setdefault("MLKIT_MODE", "cpu")
    for path in sorted((REPO / "solutions").glob("[0-9]*.ipynb")):
        target = REPO / "docs" / "img" / f"lesson{int(path.name[:2])}.png"
        target.write_bytes(picture_of(path))
        print("wrote", target.relative_to(REPO))


if __name__ == "__main__":
    main()
