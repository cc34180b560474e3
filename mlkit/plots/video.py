"""Videos of frame sequences: play them inline in JupyterLab, save them as GIF or MP4.

A video is a sequence of frames ``(T, H, W)`` or ``(T, 1, H, W)``: uint8 (0-255) or floats in
[0, 1] (clipped), as NumPy or CuPy arrays or ``chainer.Variable`` s. For Moving MNIST data of
shape (T, N, H, W), one video is ``data[:, i]``.

Several videos play side by side (true vs predicted, say) when given as a list; they must have
the same number of frames (to show 10 input frames then 10 predicted ones next to the truth,
concatenate the inputs and the prediction first)::

    from mlkit.plots import show_video, save_gif
    show_video(data[:, 0])                                     # in a notebook cell
    show_video([truth, predicted], titles=["true", "predicted"])
    save_gif("moving.gif", [truth, predicted], fps=5)

GIF goes through Pillow and MP4 through imageio with the ffmpeg binary of imageio-ffmpeg (no
system ffmpeg needed). Files are written atomically: the target is the old file or the whole
new one, never half a video.
"""
import os
import tempfile
from pathlib import Path

import numpy

from mlkit.atomic import atomic_write
from mlkit.device import to_numpy

# Pixels of gray between side-by-side videos, so that two black backgrounds do not merge.
GAP, GAP_LEVEL = 2, 128


def video_frames(videos, *, scale=1, gap=GAP):
    """The frames of ``videos`` (one video, or a list shown side by side) as one uint8 array
    (T, H', W'): panels separated by ``gap`` gray pixels, bottoms padded with black to the
    tallest panel, every pixel repeated ``scale`` times in both directions (no blurring)."""
    panels = [_as_uint8_frames(v) for v in _video_list(videos)]
    frame_counts = {len(p) for p in panels}
    if len(frame_counts) != 1:
        raise ValueError(
            f"side-by-side videos need the same number of frames, got {[len(p) for p in panels]}; "
            "concatenate input and predicted frames first (numpy.concatenate)")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, not {scale!r}")
    height = max(p.shape[1] for p in panels)
    pieces = []
    for number, panel in enumerate(panels):
        if number:
            pieces.append(numpy.full((len(panel), height, gap), GAP_LEVEL, numpy.uint8))
        pad = height - panel.shape[1]
        pieces.append(numpy.pad(panel, ((0, 0), (0, pad), (0, 0))) if pad else panel)
    frames = numpy.concatenate(pieces, axis=2)
    if scale > 1:
        frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    return frames


def animate(videos, *, titles=None, fps=10, size=2.0, cmap="gray"):
    """A matplotlib ``FuncAnimation`` playing ``videos`` side by side, one panel each, with the
    frame number above. In a notebook use :func:`show_video`, which also closes the figure
    so that it is not shown a second time as a still picture."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    panels = [_as_uint8_frames(v) for v in _video_list(videos)]
    frame_count = len(panels[0])
    if any(len(p) != frame_count for p in panels):
        raise ValueError(f"side-by-side videos need the same number of frames, got "
                         f"{[len(p) for p in panels]}")
    titles = _titles(titles, len(panels))
    figure, axes = plt.subplots(1, len(panels), figsize=(size * len(panels), size + 0.5),
                                squeeze=False)
    pictures = []
    for ax, panel, title in zip(axes[0], panels, titles):
        pictures.append(ax.imshow(panel[0], cmap=cmap, vmin=0, vmax=255))
        ax.set_title(title or "")
        ax.set_axis_off()
    counter = figure.suptitle(f"frame 1/{frame_count}")

    def draw(frame):
        for picture, panel in zip(pictures, panels):
            picture.set_data(panel[frame])
        counter.set_text(f"frame {frame + 1}/{frame_count}")
        return pictures + [counter]

    return FuncAnimation(figure, draw, frames=frame_count, interval=1000 / fps)


def show_video(videos, *, titles=None, fps=10, size=2.0, cmap="gray"):
    """Play ``videos`` inline in JupyterLab (an HTML player with play/step buttons); returns
    an ``IPython.display.HTML`` to end a cell with."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML

    animation = animate(videos, titles=titles, fps=fps, size=size, cmap=cmap)
    try:
        return HTML(animation.to_jshtml(fps=fps, default_mode="loop"))
    finally:
        plt.close(animation._fig)  # the player holds the frames; the figure is not needed


def save_gif(path, videos, *, fps=10, scale=2, gap=GAP):
    """Save ``videos`` (side by side when a list) as an endlessly looping GIF; returns ``path``.

    Pillow merges consecutive identical frames into one longer frame, so a GIF of a still
    video has fewer frames than the video (it plays the same).
    """
    from PIL import Image

    frames = video_frames(videos, scale=scale, gap=gap)
    pictures = [Image.fromarray(frame, mode="L") if _pillow_needs_mode() else
                Image.fromarray(frame) for frame in frames]
    with atomic_write(path, "wb") as file:
        pictures[0].save(file, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=max(1, round(1000 / fps)), loop=0)
    return path


def save_mp4(path, videos, *, fps=10, scale=4, gap=GAP):
    """Save ``videos`` (side by side when a list) as an H.264 MP4 (plays in browsers and in
    JupyterLab's ``Video``); returns ``path``. Frames are padded with black to even sizes,
    which H.264's colour format needs."""
    import imageio.v2 as imageio

    frames = video_frames(videos, scale=scale, gap=gap)
    frames = numpy.pad(frames, ((0, 0), (0, frames.shape[1] % 2), (0, frames.shape[2] % 2)))
    path = Path(path)
    # ffmpeg writes to a file name, not to an open file: a temporary name next to the target,
    # renamed when complete, keeps the write atomic as mlkit.atomic does for the other files.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".mp4")
    os.close(handle)
    try:
        with imageio.get_writer(temporary, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                pixelformat="yuv420p", macro_block_size=2) as writer:
            for frame in frames:
                writer.append_data(frame)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide the video from others
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _video_list(videos):
    if isinstance(videos, (list, tuple)):
        if not videos:
            raise ValueError("no videos given")
        return list(videos)
    return [videos]


def _as_uint8_frames(video):
    frames = to_numpy(video)
    if frames.ndim == 4 and frames.shape[1] == 1:
        frames = frames[:, 0]
    if frames.ndim != 3 or 0 in frames.shape:
        raise ValueError(f"a video is frames of shape (T, H, W) or (T, 1, H, W), got "
                         f"{frames.shape}; for Moving MNIST data (T, N, H, W) pick one "
                         "sequence: data[:, i]")
    if frames.dtype == numpy.uint8:
        return frames
    if numpy.issubdtype(frames.dtype, numpy.floating):
        return (numpy.clip(frames, 0, 1) * 255).round().astype(numpy.uint8)
    return numpy.clip(frames, 0, 255).astype(numpy.uint8)


def _titles(titles, count):
    if titles is None:
        return [None] * count
    if isinstance(titles, str):
        titles = [titles]
    if len(titles) != count:
        raise ValueError(f"{len(titles)} titles for {count} videos")
    return list(titles)


def _pillow_needs_mode():
    # Pillow 11.3 deprecated the mode argument of fromarray (it reads it from the dtype).
    import PIL
    major, minor = (int(part) for part in PIL.__version__.split(".")[:2])
    return (major, minor) < (11, 3)
