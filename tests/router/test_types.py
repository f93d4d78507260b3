import pytest
from pydantic import BaseModel

from router import types
from router.endpoints.base import StreamEnd, TokenDelta
from router.types import Usage

MODELS = [
    obj
    for obj in vars(types).values()
    if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == types.__name__
    and not obj.__name__.startswith("_")
] + [TokenDelta, StreamEnd]  # fmt: skip


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[BaseModel]) -> None:
    assert model.__doc__
    undocumented = [name for name, f in model.model_fields.items() if not f.description]
    assert undocumented == []


def test_usage_tokens_per_s_excludes_time_to_first_token() -> None:
    usage = Usage(input_tokens=10, output_tokens=11, ttft_s=1.0, latency_s=3.0)
    assert usage.tokens_per_s == pytest.approx(5.0)


def test_usage_tokens_per_s_is_zero_without_decode_time() -> None:
    assert Usage(output_tokens=1, ttft_s=0.5, latency_s=0.5).tokens_per_s == 0.0
    assert Usage(output_tokens=0).tokens_per_s == 0.0


def test_usage_round_trips_through_json_without_the_computed_field() -> None:
    usage = Usage(input_tokens=3, output_tokens=4, ttft_s=0.1, latency_s=0.4, cost_usd=0.01)
    restored = Usage.model_validate_json(usage.model_dump_json(exclude={"tokens_per_s"}))
    assert restored == usage


def test_wire_shapes_reject_unknown_fields() -> None:
    with pytest.raises(ValueError):
        Usage(input_tokens=1, bogus=2)  # type: ignore[call-arg]


def test_the_public_surface_loads_each_name_lazily_from_its_module() -> None:
    import subprocess
    import sys

    import router

    code = (
        "import sys, router.types; assert 'router.runtime.compose' not in sys.modules; "
        "from router import build_runtime; assert 'router.runtime.compose' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    for name in router.__all__:
        assert getattr(router, name) is not None, name
