"""Idle: each call gets a loaded model of its own; models are loaded only when none is idle and usable."""

from callscope.pipeline.idle import Idle


def test_calls_at_once_get_models_of_their_own_and_later_calls_reuse_them():
    loaded = []
    idle = Idle(lambda: loaded.append(object()) or loaded[-1])
    with idle.lend() as first, idle.lend() as second:
        assert first is not second and len(loaded) == 2
    with idle.lend() as again:
        assert again in loaded and len(loaded) == 2


def test_a_model_that_is_no_longer_usable_is_replaced_by_a_newly_loaded_one():
    loaded = []
    idle = Idle(lambda: loaded.append({"sampled": False}) or loaded[-1], usable=lambda m: not m["sampled"])
    idle.add({"sampled": True})
    with idle.lend() as model:
        assert model is loaded[0] and not model["sampled"]
