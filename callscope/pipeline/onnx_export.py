"""Diarisation networks run by ONNX Runtime: the same outputs for less CPU than torch.

A loaded network is exported once to ONNX (the axes that vary left dynamic) and kept in the cache
folder ($CALLSCOPE_CACHE, else ~/.cache/callscope) under a name made from what it is, its files'
sha256 and the torch version, so each later process start only loads it. Measured, one thread
(docs/benchmarks.md, "Speed"): CAM++ on 5 s of fbank, torch 0.16-0.20 CPU s, ONNX Runtime 0.085-0.094;
segmentation-3.0 on 32 windows of 10 s, torch 1.80-2.03 CPU s, ONNX Runtime 1.37-1.54.
When the export or the session fails, the caller keeps the torch network (slower, same results).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from callscope.registry import cache_dir

FORMAT = "2"         # bump when the export changes


@dataclass(frozen=True)
class Signature:
    """What an export needs to know of a network: its input's name, an example input to trace and the
    axes of that input that vary from call to call."""

    name: str
    example: tuple[int, ...]
    dynamic: dict[int, str]


CAMPPLUS = Signature("features", (1, 500, 80), {0: "batch", 1: "frames"})          # fbank frames
SEGMENTATION = Signature("waveforms", (2, 1, 160000), {0: "batch", 2: "samples"})  # 10 s windows


class OnnxNetwork:
    """Callable like the torch network on its one input tensor; one intra-op thread per run, and
    ONNX Runtime lets several threads run the session at once."""

    def __init__(self, path: Path, signature: Signature):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = signature.name

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        feed = {self.input_name: np.ascontiguousarray(inputs.numpy(), dtype=np.float32)}
        return torch.from_numpy(self.session.run(None, feed)[0])


def onnx_file(kind: str, *parts: str) -> Path:
    """Where the export of the `kind` network identified by `parts` (its files' sha256) is kept."""
    digest = hashlib.sha256()
    for part in [FORMAT, torch.__version__, kind, *parts]:
        digest.update(part.encode("utf-8") + b"\0")
    return cache_dir() / "onnx" / f"{kind}-{digest.hexdigest()[:32]}.onnx"


def onnx_network(network: torch.nn.Module, signature: Signature, kind: str, *parts: str) -> OnnxNetwork:
    """The network as an OnnxNetwork, exported to the cache first when not there yet."""
    path = onnx_file(kind, *parts)
    if not path.is_file():
        export(network, signature, path)
    return OnnxNetwork(path, signature)


def export(network: torch.nn.Module, signature: Signature, path: Path) -> None:
    """Write the network's ONNX graph to `path` atomically (workers may start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    try:
        with _without_onnx_package(), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's, on shape checks that hold for every length used
            torch.onnx.export(network, (torch.zeros(signature.example),), temporary,
                              input_names=[signature.name], output_names=["outputs"],
                              dynamic_axes={signature.name: signature.dynamic}, opset_version=17, dynamo=False)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _without_onnx_package():
    """torch's TorchScript exporter imports the `onnx` package only to add onnxscript functions to the
    graph, which these networks have none of; without that package the graph is written as it is."""
    try:
        import onnx  # noqa: F401
        return nullcontext()
    except ImportError:
        from unittest import mock

        from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

        return mock.patch.object(onnx_proto_utils, "_add_onnxscript_fn", lambda model_bytes, _opsets: model_bytes)
