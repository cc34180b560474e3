"""Make the README's Lesson 1 picture, docs/img/lesson1.png: run the solution notebook (``cpu``
mode unless ``MLKIT_MODE`` says otherwise) and keep the figure of its cell tagged
``readme-picture``.

    MLKIT_MODE=cpu .venv/bin/python course/01_logic_gates/pictures.py [--out FILE]
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "docs"))

from make_pictures import picture_script  # noqa: E402  (docs/make_pictures.py)

if __name__ == "__main__":
    picture_script(Path(__file__).with_name("solution.ipynb"), "lesson1.png")
