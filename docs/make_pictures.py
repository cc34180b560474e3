"""Make the README's lesson pictures (docs/img/): run the ``pictures.py`` of every lesson folder
that has one (``course/NN_name/pictures.py``), or of the lessons named.

    MLKIT_MODE=cpu .venv/bin/python docs/make_pictures.py          # every lesson
    MLKIT_MODE=cpu .venv/bin/python docs/make_pictures.py 1 3      # Lessons 1 and 3

Each script runs on its own (``.venv/bin/python course/01_logic_gates/pictures.py``) and says
what it takes (Lesson 4 trains for about ten minutes in ``cpu`` mode). This module also holds
what the scripts share: :func:`picture_script` (for a lesson whose picture is the figure of its
solution's cell tagged ``readme-picture``), :func:`execute` and :func:`tagged_png`.
"""
import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "img"


def execute(path, folder):
    """The notebook at ``path``, run top to bottom in a fresh kernel with ``folder`` as its
    working folder (``cpu`` mode unless ``MLKIT_MODE`` says otherwise)."""
    import nbformat
    from nbclient import NotebookClient
    os.environ.setdefault("MLKIT_MODE", "cpu")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def tagged_png(notebook, name="notebook"):
    """The PNG bytes shown by the (executed) notebook's cell tagged ``readme-picture``."""
    tagged = [c for c in notebook.cells if "readme-picture" in c.metadata.get("tags", [])]
    if not tagged:
        raise SystemExit(f"{name}: no cell is tagged readme-picture")
    for output in tagged[0].outputs:
        if "image/png" in output.get("data", {}):
            return base64.b64decode(output["data"]["image/png"])
    raise SystemExit(f"{name}: the readme-picture cell shows no PNG")


def picture_script(solution, image, argv=None):
    """The whole ``pictures.py`` of a lesson whose README picture is the figure of its solution
    cell tagged ``readme-picture``: run ``solution`` and write that figure to
    ``docs/img/<image>`` (or ``--out FILE``)."""
    parser = argparse.ArgumentParser(
        description=f"Make docs/img/{image}: run {Path(solution).parent.name}'s solution and "
                    "keep the figure of its cell tagged readme-picture.")
    parser.add_argument("--out", default=str(IMAGES / image), help="where to write the PNG")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        png = tagged_png(execute(solution, scratch), Path(solution).parent.name)
    target = Path(args.out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)
    print(f"wrote {target} ({len(png) / 1e3:.0f} KB) in {time.monotonic() - started:.0f} s, "
          f"{os.environ['MLKIT_MODE']} mode")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", type=int, nargs="*", help="lesson numbers (default: all)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from mlkit.grading import course
    scripts = course.folders(holding="pictures.py")
    unknown = sorted(set(args.lessons) - set(scripts))
    if unknown:
        raise SystemExit(f"no pictures.py for lesson(s) {', '.join(map(str, unknown))}; "
                         f"lessons with pictures: {', '.join(map(str, sorted(scripts)))}")
    env = dict(os.environ)
    env.setdefault("MLKIT_MODE", "cpu")
    for number, folder in sorted(scripts.items()):
        if args.lessons and number not in args.lessons:
            continue
        script = folder / "pictures.py"
        print(f"== {script.relative_to(REPO)}", flush=True)
        subprocess.run([sys.executable, str(script)], env=env, cwd=REPO, check=True)


if __name__ == "__main__":
    main()
