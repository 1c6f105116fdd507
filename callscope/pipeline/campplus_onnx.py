"""CAM++ run by ONNX Runtime: the same embeddings (within 1e-4) for about half the CPU of torch.

The loaded network is exported once to ONNX (frames and batch dynamic) and kept in the cache folder
($CALLSCOPE_CACHE, else ~/.cache/callscope) under a name made from its weights' sha256, the network
code's sha256 and the torch version, so each later process start only loads it. Measured on 5 s of
fbank, one thread: torch 0.16-0.20 CPU s, ONNX Runtime 0.085-0.094 (docs/benchmarks.md, "Speed").
When the export or the session fails, the caller keeps the torch network (slower, same results).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from callscope.registry import cache_dir

FORMAT = "1"         # bump when the export changes
FEATURES = 80
EXPORT_FRAMES = 500  # the example input traced; other lengths give the same results (tests/test_diarise.py)


class OnnxNetwork:
    """Callable like the torch network: (batch, frames, 80) fbank tensor -> (batch, 192) embeddings.
    One intra-op thread per run; ONNX Runtime lets several threads run the session at once."""

    def __init__(self, path: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        feed = {"features": np.ascontiguousarray(features.numpy(), dtype=np.float32)}
        return torch.from_numpy(self.session.run(None, feed)[0])


def onnx_file(*parts: str) -> Path:
    """Where the export of the network identified by `parts` (its files' sha256) is kept."""
    digest = hashlib.sha256()
    for part in [FORMAT, torch.__version__, *parts]:
        digest.update(part.encode("utf-8") + b"\0")
    return cache_dir() / "campplus" / f"campplus-{digest.hexdigest()[:32]}.onnx"


def onnx_network(network: torch.nn.Module, *parts: str) -> OnnxNetwork:
    """The network as an OnnxNetwork, exported to the cache first when not there yet."""
    path = onnx_file(*parts)
    if not path.is_file():
        export(network, path)
    return OnnxNetwork(path)


def export(network: torch.nn.Module, path: Path) -> None:
    """Write the network's ONNX graph to `path` atomically (workers may start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    try:
        with _without_onnx_package(), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's: the one shape test it fixes holds from 2 frames on
            torch.onnx.export(network, (torch.zeros(1, EXPORT_FRAMES, FEATURES),), temporary,
                              input_names=["features"], output_names=["embeddings"],
                              dynamic_axes={"features": {0: "batch", 1: "frames"}}, opset_version=17,
                              dynamo=False)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _without_onnx_package():
    """torch's TorchScript exporter imports the `onnx` package only to add onnxscript functions to the
    graph, which CAM++ has none of; without that package the graph is written as it is."""
    try:
        import onnx  # noqa: F401
        return nullcontext()
    except ImportError:
        from unittest import mock

        from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

        return mock.patch.object(onnx_proto_utils, "_add_onnxscript_fn", lambda model_bytes, _opsets: model_bytes)
