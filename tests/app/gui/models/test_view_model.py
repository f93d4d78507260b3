"""The Models view-model: the local model, routing policy and budgets, saved and applied."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.gui.models.view_model import ModelsViewModel
from router.endpoints.fake import FakeEndpoint
from router.models.bundled import Progress
from router.paths import TandemPaths
from router.policy.decide import LocalOnlyPolicy
from router.runtime.compose import build_runtime
from tests.app.conftest import RuntimeFactory
from tests.support.fault_server import closed_port


def local_fake() -> FakeEndpoint:
    return FakeEndpoint(name="local", kind="local")


def saved(home: TandemPaths) -> dict[str, object]:
    return tomllib.loads(home.config_file.read_text("utf-8"))


async def test_policy_and_budgets_are_saved_and_used_by_the_next_turn(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = ModelsViewModel(runtime)
        assert isinstance(runtime.pipeline.policy, LocalOnlyPolicy)

        assert vm.set_policy("prefer_remote")
        assert vm.set_budgets("$1.50", "20", "4,5")

        assert saved(tandem_home)["routing"] == {
            "policy": "prefer_remote",
            "budget_per_day_usd": 1.5,
            "budget_per_month_usd": 20.0,
            "latency_target_s": 4.5,
        }
        assert not isinstance(runtime.pipeline.policy, LocalOnlyPolicy)
        limits = runtime.pipeline.budget_limits
        assert (limits.per_day_usd, limits.per_month_usd, limits.latency_target_s) == (
            1.5,
            20.0,
            4.5,
        )
        assert vm.policy == "prefer_remote"
        assert vm.budgets() == {"day": "1.5", "month": "20", "latency": "4.5"}

        assert vm.set_budgets("", "20", "")  # cleared: no daily cap, no target
        assert runtime.pipeline.budget_limits.per_day_usd is None
        assert "budget_per_day_usd" not in saved(tandem_home)["routing"]


async def test_bad_budget_values_are_refused_and_nothing_changes(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = ModelsViewModel(runtime)
        assert not vm.set_budgets("lots", "", "")
        assert vm.outcome.error is not None and "'lots' is not a number" in vm.outcome.error
        assert not vm.set_budgets("-1", "", "")
        assert vm.outcome.error is not None and "negative" in vm.outcome.error
        assert not vm.set_budgets("", "", "0")  # a latency target must be above 0
        assert vm.outcome.error is not None and "latency_target_s" in vm.outcome.error
        assert not vm.set_policy("fastest")
        assert not tandem_home.config_file.exists()
        assert runtime.pipeline.budget_limits.per_day_usd is None


async def test_choosing_a_model_switches_to_it_at_once_and_saves_it(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory, tiny_gguf: Path
) -> None:
    fake = local_fake()
    async with fake_runtime(fake) as runtime:
        vm = ModelsViewModel(runtime)
        states: list[str | None] = []
        vm.on_change = lambda: states.append(vm.busy)
        assert not await vm.choose_model("/nowhere/model.gguf")
        assert vm.outcome.error is not None and "no model called" in vm.outcome.error
        assert not tandem_home.config_file.exists()
        assert runtime.local is fake and vm.active_spec == "bundled"

        assert await vm.choose_model(str(tiny_gguf))

        assert saved(tandem_home)["local"] == {"model": str(tiny_gguf)}
        assert vm.active_spec == vm.configured_spec == str(tiny_gguf)
        assert vm.loaded and vm.busy is None and vm.outcome.error is None
        assert "switching" in states  # the view showed the switch in progress
        assert vm.outcome.notice == f"now using {tiny_gguf}"
        [active] = [m for m in vm.models() if m.active]
        assert active.path == tiny_gguf


async def test_a_model_that_fails_to_load_is_not_saved_and_the_old_one_stays(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 10)  # the magic, then nothing usable
    fake = local_fake()
    async with fake_runtime(fake) as runtime:
        vm = ModelsViewModel(runtime)
        assert not await vm.choose_model(str(broken))
        assert vm.outcome.error is not None and "damaged GGUF" in vm.outcome.error
        assert runtime.local is fake and vm.busy is None
        assert not tandem_home.config_file.exists()


async def test_switch_progress_from_the_worker_thread_reaches_the_view(
    fake_runtime: RuntimeFactory, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        real = runtime.models.resolve

        def resolve(spec: str, progress: Progress | None = None) -> Path:
            assert progress is not None  # as the bundled model's assembly reports it
            progress(250_000_000, 1_000_000_000)
            progress(1_000_000_000, 1_000_000_000)
            return real(spec)

        monkeypatch.setattr(runtime.models, "resolve", resolve)
        vm = ModelsViewModel(runtime)
        seen: list[tuple[float | None, str]] = []
        vm.on_change = lambda: seen.append((vm.progress, vm.progress_text))

        assert await vm.choose_model(str(tiny_gguf))

        assert (0.25, f"preparing {tiny_gguf}: 250 of 1,000 MB") in seen
        assert (None, f"loading {tiny_gguf}…") in seen
        assert vm.progress is None and vm.progress_text == ""


async def test_load_model_loads_the_real_weights_and_reports_memory(
    tandem_home: TandemPaths, tiny_gguf: Path
) -> None:
    runtime = build_runtime(tandem_home, model=str(tiny_gguf))
    try:
        vm = ModelsViewModel(runtime)
        states: list[str | None] = []
        vm.on_change = lambda: states.append(vm.busy)
        assert not vm.loaded and "not loaded yet" in vm.memory_text()

        assert await vm.load_model()

        assert vm.loaded and vm.busy is None
        assert "loading" in states  # the view showed progress while it loaded
        assert "(model loaded)" in vm.memory_text()
        [active] = [m for m in vm.models() if m.active]
        assert active.ready and active.path == tiny_gguf
    finally:
        await runtime.aclose()


async def test_pulling_a_model_offline_fails_with_a_clear_message(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    async with fake_runtime(local_fake()) as runtime:
        vm = ModelsViewModel(runtime)
        assert not await vm.pull("someone/model-GGUF", "model.Q4_K_M.gguf")
        assert vm.outcome.error is not None and "cannot reach 127.0.0.1" in vm.outcome.error
        assert vm.busy is None
        assert not await vm.pull("someone/model-GGUF", "model.bin")
        assert vm.outcome.error is not None and "not a .gguf file" in vm.outcome.error


async def test_switching_to_the_learned_policy_gives_the_pipeline_its_embedder(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        assert runtime.pipeline.embedder is None  # the `local` policy reads no embeddings
        vm = ModelsViewModel(runtime)
        assert vm.set_policy("learned"), vm.outcome.error
        assert runtime.pipeline.embedder is not None
        assert type(runtime.pipeline.policy).__name__ != "LocalOnlyPolicy"


async def test_the_chosen_policy_says_what_it_learned_from(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = ModelsViewModel(runtime)
        assert vm.policy_basis() == ""  # `local` rests on nothing learned
        assert vm.set_policy("cascade"), vm.outcome.error
        assert vm.policy_basis().startswith("confidence fitted on device_mmlu_1000.jsonl.gz")
        assert vm.set_policy("learned"), vm.outcome.error
        assert "held-out AUROC device" in vm.policy_basis()


async def test_without_psutil_the_memory_figure_is_unknown(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.gui.models.view_model.host_psutil", lambda: None)
    async with fake_runtime(local_fake()) as runtime:
        text = ModelsViewModel(runtime).memory_text()
    assert "memory use is unknown" in text and "psutil" in text
