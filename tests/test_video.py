"""Video helpers: side-by-side frames, the inline player, GIF and MP4 files that read back."""
import mlkit  # noqa: F401  (first: it makes Chainer import on today's NumPy)
import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

from mlkit.plots.video import animate, save_gif, save_mp4, show_video, video_frames


def moving_square(frames=6, size=16):
    """A white 4x4 square moving one pixel right per frame: every frame differs."""
    video = np.zeros((frames, size, size), np.uint8)
    for t in range(frames):
        video[t, 5:9, t:t + 4] = 255
    return video


def test_side_by_side_frames_with_a_gap_and_scale():
    truth = moving_square()
    predicted = truth.astype(np.float32) / 255 * 0.5            # floats in [0, 1]
    frames = video_frames([truth, predicted[:, None]], scale=2, gap=3)
    assert frames.shape == (6, 32, 2 * (16 + 16 + 3)) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames[:, ::2, :32:2], truth)
    assert (frames[:, :, 32:38] == 128).all()                   # the gray gap
    np.testing.assert_array_equal(frames[:, ::2, 38::2], (truth // 255) * 128)


def test_videos_must_agree_and_have_frames():
    with pytest.raises(ValueError, match="same number of frames"):
        video_frames([moving_square(6), moving_square(5)])
    with pytest.raises(ValueError, match=r"data\[:, i\]"):
        video_frames(np.zeros((20, 3, 16, 16), np.uint8))      # four axes, not one channel
    with pytest.raises(ValueError, match="scale"):
        video_frames(moving_square(), scale=0)


def test_gif_has_every_frame(tmp_path):
    truth = moving_square()
    path = save_gif(tmp_path / "v.gif", [truth, truth], fps=5, scale=1)
    with Image.open(path) as gif:
        assert gif.n_frames == 6 and gif.size == (16 + 2 + 16, 16)
        gif.seek(3)
        first_panel = np.asarray(gif.convert("L"))[:, :16]
    np.testing.assert_array_equal(first_panel, truth[3])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.gif"]


def test_mp4_has_every_frame(tmp_path):
    path = save_mp4(tmp_path / "v.mp4", [moving_square(), moving_square()], fps=5, scale=2)
    reader = imageio.get_reader(path)
    try:
        frames = [frame for frame in reader]
    finally:
        reader.close()
    assert len(frames) == 6
    assert frames[0].shape[:2] == (32, 2 * 16 * 2 + 2 * 2)     # even sizes: no padding needed
    # Lossy, but the square is where it should be: bright there, dark far from it.
    gray = frames[2].mean(axis=-1)
    assert gray[12:16, 6:10].mean() > 200 and gray[0:6, 0:6].mean() < 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


def test_mp4_pads_odd_sizes(tmp_path):
    path = save_mp4(tmp_path / "odd.mp4", moving_square(size=15), scale=1)
    reader = imageio.get_reader(path)
    try:
        assert reader.get_data(0).shape[:2] == (16, 16)
    finally:
        reader.close()


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        save_mp4(tmp_path / "missing-folder" / "v.mp4", moving_square())
    with pytest.raises(OSError):
        save_gif(tmp_path / "missing-folder" / "v.gif", moving_square())
    assert list(tmp_path.iterdir()) == []


def test_inline_player_has_every_frame():
    import matplotlib.pyplot as plt
    animation = animate([moving_square(), moving_square()], titles=["true", "predicted"])
    try:
        assert len(list(animation.new_frame_seq())) == 6
        assert [ax.get_title() for ax in animation._fig.axes] == ["true", "predicted"]
        assert animation.to_jshtml().count("data:image/png;base64") == 6
    finally:
        plt.close(animation._fig)
    open_figures = plt.get_fignums()
    html = show_video(moving_square(frames=3), fps=4)
    assert "<script" in html.data and html.data.count("data:image/png;base64") == 3
    assert plt.get_fignums() == open_figures  # closed: not shown again as a still picture
    with pytest.raises(ValueError, match="titles"):
        animate([moving_square(), moving_square()], titles=["only one"])
