"""Make the README's Lesson 4 picture and GIF: run the solution notebook once (``cpu`` mode by
default), keep the figure of its cell tagged ``readme-picture`` (predicted vs true frames) and the
GIF the notebook saves (true frames next to the ConvLSTM's prediction).

    MLKIT_MODE=cpu .venv/bin/python course/04_sequences/pictures.py [--executed run.ipynb]

Writes docs/img/lesson4.png and docs/img/lesson4.gif (each must stay under 300 KB), and prints
the wall time of the run and the notebook's table of test scores.
"""
import argparse
import base64
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(__file__).resolve().parent / "solution.ipynb"
LIMIT = 300_000


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--executed", metavar="FILE", help="also save the executed notebook here")
    args = parser.parse_args()
    os.environ.setdefault("MLKIT_MODE", "cpu")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        NotebookClient(notebook, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": scratch}}).execute()
        seconds = time.monotonic() - started
        gif = Path(scratch) / "result" / "04_sequences" / "prediction.gif"
        shutil.copyfile(gif, REPO / "docs" / "img" / "lesson4.gif")
    if args.executed:
        nbformat.write(notebook, args.executed)
    tagged = [c for c in notebook.cells if "readme-picture" in c.metadata.get("tags", [])]
    png = next(base64.b64decode(o["data"]["image/png"]) for o in tagged[0].outputs
               if "image/png" in o.get("data", {}))
    (REPO / "docs" / "img" / "lesson4.png").write_bytes(png)
    print(f"{NOTEBOOK.name}: {seconds:.1f} s in {os.environ['MLKIT_MODE']} mode")
    for cell in notebook.cells:
        if cell.cell_type == "code" and "score_table(scores)" in cell.source:
            print(text_of(cell))
    for name in ("lesson4.png", "lesson4.gif"):
        path = REPO / "docs" / "img" / name
        size = path.stat().st_size
        print(f"wrote {path.relative_to(REPO)}: {size / 1000:.0f} KB")
        if size > LIMIT:
            raise SystemExit(f"{name} is over {LIMIT // 1000} KB")


if __name__ == "__main__":
    main()
