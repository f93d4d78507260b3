"""Where the Phones section finds the LAN service: the runtime's one real `LanService`."""

from __future__ import annotations

from app.gui.phones.lan_api import lan_service_for
from app.lan.service import LanService
from router.endpoints.fake import FakeEndpoint
from tests.app.conftest import RuntimeFactory


async def test_the_section_drives_the_runtime_s_one_real_service(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint()) as runtime, fake_runtime(FakeEndpoint()) as other:
        service = lan_service_for(runtime)
        # The same object `tandem --web --lan` and app/gui/main.py configure and stop.
        assert isinstance(service, LanService) and service is LanService.for_runtime(runtime)
        assert lan_service_for(runtime) is service
        assert lan_service_for(other) is not service
