"""The phone app's screen logic: pairing, asking, badges, and errors as one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.mobile.view_model import ChatLine, PhoneViewModel, phone_paths
from router.paths import TandemPaths
from tests.support.lan_stub import LanStub


def test_the_phone_keeps_its_files_in_the_app_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLET_APP_STORAGE_DATA", str(tmp_path / "app-data"))
    assert phone_paths().data_dir.is_relative_to(tmp_path / "app-data" / "tandem")


async def test_pair_then_ask_shows_where_each_answer_came_from(
    no_model_file: TandemPaths, link: str, stub: LanStub
) -> None:
    vm = await PhoneViewModel.open(no_model_file)
    try:
        assert vm.status() == "not paired · no cloud key"
        assert (await vm.ask("hi", print)).role == "notice"
        assert "not a pairing link" in await vm.pair("hello", "Pixel 7")
        assert (await vm.pair(link, "Pixel 7")).startswith("Paired")
        assert vm.status().startswith("paired with your Tandem at https://127.0.0.1:")
        streamed: list[str] = []
        line = await vm.ask("What is the capital of France?", streamed.append)
        # The badge names the zone too: your Tandem is one of your devices.
        answer = "echo What is the capital of France?"
        assert line == ChatLine("assistant", answer, "my Tandem · your devices")
        assert streamed[-1] == line.text
        mail = await vm.ask("Write to anna.kowalski@example.org today", print)
        assert mail.badge == "my Tandem · your devices · private parts replaced"
        assert "anna.kowalski@example.org" in mail.text
        card = await vm.ask("My card is 4111 1111 1111 1111", print)
        assert card.role == "notice" and "must stay on this device" in card.text
        assert (await vm.forget_pairing()).startswith("Forgotten")
        assert vm.status() == "not paired · no cloud key"
    finally:
        await vm.aclose()
    assert all(b"4111" not in body for _, body in stub.requests)
