"""GIFs of a backward pass and of a fit: the expected frames, read back with Pillow."""

import shutil

import numpy as np
import pytest
from PIL import Image

from exprdiff import Input, Parameter, Sigmoid, backprop_frames, optimize
from exprdiff.gates import gate_data, gate_loss
from exprdiff.show.animation import animate_backprop, animate_fit

needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None or shutil.which("neato") is None,
    reason="Graphviz's dot and neato draw the graph frames")

A, B, C, F = Parameter("a"), Parameter("b"), Parameter("c"), Parameter("f")
E = A * B
D = E + C
L = D * F
VALUES = {A: 2.0, B: -3.0, C: 10.0, F: -2.0}


def frames_of(path):
    """Each frame of a GIF as an RGB array, with its duration in ms."""
    with Image.open(path) as image:
        frames = []
        for k in range(image.n_frames):
            image.seek(k)
            frames.append((np.asarray(image.convert("RGB")), image.info["duration"]))
        return frames


@needs_graphviz
def test_backprop_gif_has_one_frame_per_step(tmp_path):
    """The articles' L = (a*b + c)*f: the seed and three operations are four frames, each
    different, one second each, the finished picture held three seconds."""
    path = animate_backprop(L, VALUES, None, tmp_path / "backprop.gif",
                            labels={E: "e", D: "d", L: "L"})
    assert path == tmp_path / "backprop.gif"
    frames = frames_of(path)
    assert len(frames) == 4
    assert [duration for _, duration in frames] == [1000, 1000, 1000, 3000]
    pictures = [picture for picture, _ in frames]
    assert len({picture.shape for picture in pictures}) == 1
    assert all(not np.array_equal(x, y) for x, y in zip(pictures, pictures[1:]))
    assert pictures[0].shape[1] >= 480 and pictures[0].std() > 10


@needs_graphviz
def test_backprop_gif_frames_follow_fps_and_hold(tmp_path):
    """fps and hold set the timing; a graph whose root is an op over a shared node works."""
    a = Parameter("a")
    path = animate_backprop(a * a + a, {a: 3.0}, None, tmp_path / "shared.gif", fps=2, hold=0)
    assert [duration for _, duration in frames_of(path)] == [500, 500, 500]


@needs_graphviz
def test_boxes_stay_in_place(tmp_path):
    """The layout is computed once: the first and last frames have their boxes at the same
    places (the dark pixels of the borders mostly coincide)."""
    path = animate_backprop(L, VALUES, None, tmp_path / "still.gif")
    (first, _), *_, (last, _) = frames_of(path)
    dark_first, dark_last = first.min(axis=2) < 60, last.min(axis=2) < 60
    overlap = (dark_first & dark_last).sum() / max(dark_first.sum(), dark_last.sum())
    assert overlap > 0.4  # laid out frame by frame, the boxes move: about 0.05


@pytest.mark.parametrize("options, message", [
    ({"fps": 0}, "fps must be a positive number"),
    ({"hold": -1}, "hold must be a whole number of extra frames >= 0"),
])
def test_bad_timing_is_named(tmp_path, options, message):
    """Zero fps or a negative hold raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=message):
        animate_backprop(L, VALUES, None, tmp_path / "x.gif", **options)
    assert list(tmp_path.iterdir()) == []


X1, X2, LABEL = Input("x1"), Input("x2"), Input("label")
W1, W2, BIAS = Parameter("w1"), Parameter("w2"), Parameter("b")
MODEL = Sigmoid(W1 * X1 + W2 * X2 + BIAS)
START = {W1: 1.0, W2: 1.0, BIAS: 0.0}


def test_fit_gif_has_the_frames_asked_for(tmp_path):
    """frames=4 over 60 epochs: pictures at epochs 0, 20, 40, 60; the fit is optimize's own."""
    seen = []
    fitted = animate_fit(gate_loss(MODEL, LABEL), START, gate_data("and", X1, X2, LABEL),
                         tmp_path / "fit.gif", model=MODEL, x1=X1, x2=X2, gate="and",
                         frames=4, epochs=60, learning_rate=0.3, resolution=11, hold=0,
                         callback=lambda epoch, params, loss: seen.append(epoch))
    reference = optimize(gate_loss(MODEL, LABEL), START, gate_data("and", X1, X2, LABEL),
                         epochs=60, learning_rate=0.3)
    assert fitted == reference and fitted.losses == reference.losses
    assert seen == list(range(1, 61))  # the caller's callback still runs every epoch
    frames = frames_of(tmp_path / "fit.gif")
    assert len(frames) == 4 and [d for _, d in frames] == [200] * 4
    assert not np.array_equal(frames[0][0], frames[-1][0])


def test_fit_gif_stopping_early_ends_at_the_last_epoch(tmp_path):
    """A callback stopping the fit at epoch 7 makes the last frame that epoch's, keeping the count."""
    fitted = animate_fit(gate_loss(MODEL, LABEL), START, gate_data("or", X1, X2, LABEL),
                         tmp_path / "early.gif", model=MODEL, x1=X1, x2=X2, frames=3,
                         epochs=100, resolution=11, hold=2,
                         callback=lambda epoch, params, loss: epoch == 7)
    assert fitted.epochs == 7 and fitted.stop_reason == "callback"
    frames = frames_of(tmp_path / "early.gif")
    assert len(frames) == 2 and frames[-1][1] == 3 * 200  # epochs 0 and 7, the last held


def test_fit_gif_rejects_too_few_frames(tmp_path):
    """frames below 2 raise ValueError naming the argument, before any fitting."""
    with pytest.raises(ValueError, match=r"frames must be a whole number of at least 2, got 1"):
        animate_fit(gate_loss(MODEL, LABEL), START, gate_data("or", X1, X2, LABEL),
                    tmp_path / "x.gif", model=MODEL, x1=X1, x2=X2, frames=1)


@needs_graphviz
@pytest.mark.parametrize("format, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_backprop_frames_are_one_file_per_step(tmp_path, format, magic):
    """backprop_frames writes step0 .. step3 for the articles' graph, all the same size."""
    paths = backprop_frames(L, VALUES, None, tmp_path / "slides", format=format,
                            labels={E: "e", D: "d", L: "L"})
    assert [path.name for path in paths] == [f"step{k}.{format}" for k in range(4)]
    assert all(path.read_bytes().startswith(magic) for path in paths)
    if format == "png":
        sizes = set()
        for path in paths:
            with Image.open(path) as image:
                sizes.add(image.size)
        assert len(sizes) == 1
    with pytest.raises(ValueError, match=r"format must be one of png, svg, pdf, got 'gif'"):
        backprop_frames(L, VALUES, None, tmp_path, format="gif")
