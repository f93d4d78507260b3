"""The Privacy view-model: rules saved to config.toml, applied to the running pipeline."""

from __future__ import annotations

import tomllib

from app.gui.chat.detail.names import NameTeacher
from app.gui.privacy.view_model import PrivacyViewModel, RuleForm
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.settings.store import write_toml
from tests.app.conftest import RuntimeFactory
from tests.support.pipeline import collect


def local_fake() -> FakeEndpoint:
    return FakeEndpoint(name="local", kind="local")


def falcon() -> RuleForm:
    return RuleForm(
        name="falcon", keywords="project Falcon", action="keep_local", reason="secret project"
    )


def patterns_only(home: TandemPaths) -> None:
    """Detectors without NER and name-like words: fast, and only rules and patterns fire."""
    write_toml(home.config_file, {"privacy": {"ner": False, "names": "standard"}})


def saved(home: TandemPaths) -> dict[str, object]:
    return tomllib.loads(home.config_file.read_text("utf-8"))


async def test_added_rule_is_saved_without_losing_other_settings_and_keeps_next_turn_local(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    write_toml(tandem_home.config_file, {"chat": {"system_prompt": "Be brief."}})
    async with fake_runtime(local_fake()) as runtime:
        vm = PrivacyViewModel(runtime)

        assert vm.add_rule(falcon())

        data = saved(tandem_home)
        assert data["chat"] == {"system_prompt": "Be brief."}
        assert data["privacy"] == {
            "rules": [
                {
                    "name": "falcon",
                    "keywords": ["project Falcon"],
                    "action": "keep_local",
                    "reason": "secret project",
                }
            ]
        }
        # The running pipeline uses the rule at once: no restart.
        result = await vm.test_text("What is the status of Project  Falcon?")
        assert result.action == "keep_local"
        assert result.summary == "kept on this device: secret project"
        marked = [s for s in result.segments if s.finding]
        assert [(s.text, s.finding, s.action) for s in marked] == [
            ("Project  Falcon", "KEYWORD", "keep_local")
        ]
        assert "".join(s.text for s in result.segments) == "What is the status of Project  Falcon?"
        assert "KEYWORD: 'Project  Falcon' -> keep_local (falcon)" in result.findings


async def test_invalid_rule_is_refused_with_a_clear_error_and_nothing_is_written(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = PrivacyViewModel(runtime)

        assert not vm.add_rule(RuleForm(name="empty", reason="why not", keywords=" , "))
        assert vm.error is not None and "matches nothing" in vm.error
        assert not vm.add_rule(RuleForm(name="", keywords="x", reason="r"))
        assert vm.error is not None and "needs a name" in vm.error
        assert not tandem_home.config_file.exists()
        assert vm.rules == []


async def test_duplicate_names_are_refused(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = PrivacyViewModel(runtime)
        assert vm.add_rule(falcon())
        assert not vm.add_rule(falcon())
        assert vm.error is not None and "same name" in vm.error
        assert [r.name for r in vm.rules] == ["falcon"]


async def test_reorder_disable_edit_and_delete_reach_the_file_and_the_scanner(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    patterns_only(tandem_home)
    async with fake_runtime(local_fake()) as runtime:
        vm = PrivacyViewModel(runtime)
        assert vm.add_rule(falcon())
        assert vm.add_rule(
            RuleForm(name="eagle", keywords="eagle", action="redact", reason="bird names")
        )
        assert [r.name for r in vm.rules] == ["eagle", "falcon"]  # new rules go on top

        assert vm.move_rule(0, +1)
        assert not vm.move_rule(1, +1)  # already last
        assert [r["name"] for r in saved(tandem_home)["privacy"]["rules"]] == ["falcon", "eagle"]

        assert vm.set_enabled(0, False)
        assert saved(tandem_home)["privacy"]["rules"][0]["enabled"] is False
        assert (await vm.test_text("project falcon")).action == "allow"

        form = RuleForm.of(vm.rules[1])
        form.action = "keep_local"
        assert vm.update_rule(1, form)
        assert (await vm.test_text("an eagle flew")).action == "keep_local"

        assert vm.delete_rule(0) and vm.delete_rule(0)
        assert saved(tandem_home)["privacy"]["rules"] == []
        assert runtime.pipeline.scanner.rules.rules[0].name == "secrets"  # defaults only


async def test_detector_switches_are_saved_and_applied(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = PrivacyViewModel(runtime)
        assert vm.set_detectors(ner=False, names="standard")
        assert saved(tandem_home)["privacy"] == {"ner": False, "names": "standard"}
        assert vm.set_detectors(topics=False)
        assert saved(tandem_home)["privacy"] == {"ner": False, "names": "standard", "topics": False}
        scanner = runtime.pipeline.scanner
        assert {d.name for d in scanner.detectors} == {"patterns", "secrets", "web"}
        assert (vm.ner, vm.topics, vm.names) == (False, False, "standard")


async def test_default_card_rule_shows_in_the_test_and_the_log_lists_kept_local_turns(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    patterns_only(tandem_home)
    async with fake_runtime(local_fake()) as runtime:
        vm = PrivacyViewModel(runtime)
        result = await vm.test_text("my card is 4111 1111 1111 1111 thanks")
        assert result.action == "keep_local"
        assert [s.finding for s in result.segments if s.finding] == ["CREDIT_CARD"]

        # Separate conversations: a card in the history would keep "hello" local too.
        for text in ("card 4111 1111 1111 1111, is it valid?", "hello"):
            await collect(runtime.pipeline, text, session_id=runtime.ledger.create_session())
        [entry] = vm.log()
        assert entry.action == "keep_local"
        assert entry.excerpt == "card 4111 1111 1111 1111, is it valid?"
        assert entry.endpoint == "local"


async def test_taught_names_show_as_an_editable_rule_the_test_bench_follows(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    write_toml(tandem_home.config_file, {"privacy": {"ner": False}})
    async with fake_runtime(local_fake()) as runtime:
        teacher = NameTeacher(runtime)
        assert teacher.teach("Tom Hargreaves", "private")
        vm = PrivacyViewModel(runtime)

        [rule] = vm.rules
        form = RuleForm.of(rule)
        assert (form.name, form.names, form.action) == (
            "taught-private",
            "Tom Hargreaves",
            "redact",
        )
        result = await vm.test_text("Ask tom hargreaves about it.")
        assert "KEYWORD: 'tom hargreaves' -> redact (taught-private)" in result.findings

        form.names = "Tom Hargreaves, Jenny Hill"
        assert vm.update_rule(0, form)
        assert saved(tandem_home)["privacy"]["rules"][0]["names"] == [  # type: ignore[index]
            "Tom Hargreaves",
            "Jenny Hill",
        ]
        result = await vm.test_text("Ask jenny hill about it.")
        assert result.action == "redact"


async def test_the_name_judge_switch_is_saved_and_the_test_bench_asks_the_device_model(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    task = "Compose a travel blog post about Hawaii."
    device = FakeEndpoint(lambda messages: "1. public", name="local", kind="local")
    async with fake_runtime(device) as runtime:
        vm = PrivacyViewModel(runtime)
        assert vm.judge == "off"
        before = await vm.test_text(task)
        assert "LOCATION: 'Hawaii' -> redact (place)" in before.findings and device.calls == []
        assert vm.set_detectors(judge="device")
        assert saved(tandem_home)["privacy"] == {"judge": "device"}
        assert vm.judge == "device"
        after = await vm.test_text(task)
        assert "LOCATION: 'Hawaii' -> allow (public-knowledge)" in after.findings
        assert len(device.calls) == 1


async def test_a_keep_mine_rule_from_the_form_keeps_turns_on_my_devices(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    patterns_only(tandem_home)
    async with fake_runtime(local_fake()) as runtime:
        vm = PrivacyViewModel(runtime)
        form = RuleForm(
            name="falcon", keywords="project Falcon", action="keep_mine", reason="a project"
        )
        assert vm.add_rule(form)
        assert saved(tandem_home)["privacy"]["rules"][0]["action"] == "keep_mine"  # type: ignore[index]
        result = await vm.test_text("project Falcon budget")
        assert result.action == "keep_mine"
        assert result.summary == "kept on your devices (this one and those marked mine): a project"
        assert "KEYWORD: 'project Falcon' -> keep_mine (falcon)" in result.findings
        session = runtime.ledger.create_session()
        await collect(runtime.pipeline, "project Falcon plan", session_id=session)
        [entry] = vm.log()
        assert (entry.action, entry.endpoint) == ("keep_mine", "local")
        assert RuleForm.of(vm.rules[0]).action == "keep_mine"
