"""Data-parallel training over 4 virtual CPU devices equals training on one (a subprocess).

XLA gives a CPU several devices only if told before JAX is imported, so the
script runs in a fresh interpreter with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``: the multi-device
path (`jax.shard_map`, `jax.lax.psum`) runs in CI without a GPU.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _backends import library

import exprdiff

SCRIPT = textwrap.dedent('''
    import json
    import jax
    import numpy as np
    jax.config.update("jax_enable_x64", True)
    from exprdiff import Input, optimize, to_jax, params_by_name
    from exprdiff.datasets import two_moons
    from exprdiff.losses import hinge, l2_penalty
    from exprdiff.nn import DenseMLP

    x, y = Input("x"), Input("y")
    points, labels = two_moons(43, noise=0.1, seed=0)  # 43 rows: not divisible by 4
    score, start = DenseMLP(x, 2, [8, 8, 1], "relu", seed=0)
    loss = hinge(score, y) + l2_penalty(start, 1e-4)
    data = {x: points, y: 2.0 * labels - 1.0}
    out = {"devices": len(jax.devices()), "fits": []}

    def worst(a, b):
        return max(float(np.max(np.abs(np.asarray(a[p]) - b[p]) / np.abs(b[p]))) for p in b)

    for batch_size, optimizer in ((None, "gd"), (10, "adam")):  # batches of 10: 10, 10, 10, 10, 3
        options = dict(epochs=12, optimizer=optimizer, batch_size=batch_size, seed=1,
                       learning_rate=lambda e: 0.5 - 0.02 * e)
        one = optimize(loss, start, data, backend="jax", **options)
        four = optimize(loss, start, data, backend="jax", devices=4, **options)
        listed = optimize(loss, start, data, backend="jax", devices=jax.devices()[1:], **options)
        numpy = optimize(loss, start, data, **options)
        out["fits"].append({
            "four_vs_one": worst(four, one), "three_vs_one": worst(listed, one),
            "one_vs_numpy": worst(one, numpy),
            "losses": float(np.max(np.abs(np.subtract(four.losses, one.losses))
                                   / np.abs(one.losses))),
            "epochs": [four.epochs, one.epochs],
        })

    # to_jax under jit with inputs sharded over the 4 devices
    mesh = jax.sharding.Mesh(np.array(jax.devices()), ("batch",))
    split = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("batch"))
    f = jax.jit(to_jax(loss))
    rows = jax.device_put(jax.numpy.asarray(np.concatenate([points, points[:1]])), split)
    labels = jax.device_put(jax.numpy.asarray(np.concatenate([data[y], data[y][:1]])), split)
    value = f(params_by_name(start), {"x": rows, "y": labels})
    expected = loss(start, {x: np.asarray(rows), y: np.asarray(labels)})
    out["sharded"] = float(np.max(np.abs(np.asarray(value) - expected)))
    out["sharded_devices"] = len(value.sharding.device_set)
    print(json.dumps(out))
''')


def test_four_virtual_devices_train_as_one():
    """4 devices (and 3 listed ones) reach the 1-device parameters within rtol 1e-12."""
    library("jax")
    root = Path(exprdiff.__file__).resolve().parent.parent
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
               JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["devices"] == 4
    for fit in out["fits"]:
        assert fit["epochs"] == [12, 12]
        assert fit["four_vs_one"] < 1e-12 and fit["three_vs_one"] < 1e-12, fit
        assert fit["one_vs_numpy"] < 1e-12 and fit["losses"] < 1e-12, fit
    assert out["sharded"] < 1e-13 and out["sharded_devices"] == 4


@pytest.mark.parametrize("devices", [0, 5, ["cpu"]])
def test_devices_that_do_not_exist(devices):
    """More devices than JAX has, zero, or something that is not a device: ValueError."""
    library("jax")
    from exprdiff import Input, Parameter

    w, x = Parameter("w"), Input("x")
    with pytest.raises(ValueError, match="devices"):
        exprdiff.optimize((w * x) ** 2, {w: 1.0}, {x: [1.0, 2.0]}, epochs=2, backend="jax",
                          devices=devices)
