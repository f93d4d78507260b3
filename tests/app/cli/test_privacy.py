import argparse
import io
import json
from pathlib import Path

import pytest

from app.cli.privacy import add_privacy_parser, run_privacy, run_scan
from app.cli.privacy_outbound import run_outbound
from router.errors import TandemError
from router.ledger.store import Ledger
from router.paths import TandemPaths


def test_json_output_one_object_per_finding() -> None:
    out = io.StringIO()
    text = "John Smith moved to Paris."
    assert run_scan(text, as_json=True, out=out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records
    for record in records:
        assert set(record) == {"type", "start", "end", "text", "action", "rule"}
        assert text[record["start"] : record["end"]] == record["text"]
    assert any(r["type"] == "PERSON" and r["text"] == "John Smith" for r in records)


def test_lines_output_offsets_within_line() -> None:
    out = io.StringIO()
    lines = ["nothing to see", "Then John Smith called.", "We met Mary Jones in Berlin."]
    assert run_scan("\n".join(lines), lines=True, out=out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["line"] for r in records] == [0, 1, 2]
    assert records[0]["findings"] == []
    for record in records:
        for f in record["findings"]:
            assert lines[record["line"]][f["start"] : f["end"]] == f["text"]
    assert any(f["text"] == "John Smith" and f["start"] == 5 for f in records[1]["findings"])


def test_table_output_and_parser() -> None:
    parser = argparse.ArgumentParser(prog="tandem")
    add_privacy_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["privacy", "scan", "John Smith lives in Paris."])
    assert args.command == "privacy" and args.privacy_command == "scan"
    assert run_privacy(args) == 0
    out = io.StringIO()
    run_scan("John Smith lives in Paris.", out=out)
    assert "PERSON" in out.getvalue() and "John Smith" in out.getvalue()
    eval_args = parser.parse_args(["privacy", "eval", "x.csv", "--limit", "3", "--json", "o"])
    assert (eval_args.limit, eval_args.json_out) == (3, "o")


def test_the_users_own_rules_come_first(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text(
        '[[privacy.rules]]\nname = "emails-stay-home"\ntypes = ["EMAIL_ADDRESS"]\n'
        'action = "keep_local"\nreason = "contains an email address"\n'
    )
    out = io.StringIO()
    run_scan("write to bob@example.com", as_json=True, out=out)
    [record] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (record["type"], record["action"], record["rule"]) == (
        "EMAIL_ADDRESS",
        "keep_local",
        "emails-stay-home",
    )


def test_outbound_lists_the_latest_requests_newest_first(tandem_home: TandemPaths) -> None:
    ledger = Ledger(tandem_home.ledger_file)
    row = ledger.outbound.record(
        endpoint="claude",
        method="POST",
        url="https://api.anthropic.com/v1/messages",
        size=2048,
        body=b'{"messages": []}',
    )
    ledger.outbound.settle(row, status=200)
    ledger.outbound.record(
        endpoint="MCP server notes",
        method="POST",
        url="http://10.0.0.2:8000/mcp",
        size=10,
        body=None,
        outcome="blocked",
    )
    ledger.close()
    parser = argparse.ArgumentParser(prog="tandem")
    add_privacy_parser(parser.add_subparsers(dest="command"))

    out = io.StringIO()
    assert run_privacy(parser.parse_args(["privacy", "outbound", "--limit", "5"]), out=out) == 0
    header, blocked, sent = out.getvalue().splitlines()
    assert header.split() == ["TIME", "ENDPOINT", "OUTCOME", "METHOD", "WHERE", "BYTES"]
    assert "MCP server notes" in blocked and "blocked" in blocked
    assert "10.0.0.2:8000/mcp" in blocked
    assert "claude" in sent and "sent 200" in sent and "api.anthropic.com/v1/messages" in sent
    assert sent.rstrip().endswith("2048")

    out = io.StringIO()
    args = parser.parse_args(["privacy", "outbound", "--limit", "1", "--json"])
    assert run_privacy(args, out=out) == 0
    (only,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert only["endpoint"] == "MCP server notes" and only["body"] == ""


def test_outbound_says_when_nothing_has_left(tandem_home: TandemPaths) -> None:
    out = io.StringIO()
    assert run_outbound(out=out) == 0
    assert out.getvalue() == "no outbound requests recorded yet\n"


@pytest.mark.parametrize(
    ("config", "text", "absent"),
    [
        # `names = "standard"`: no name-like words (a lower-case name here).
        ('[privacy]\nnames = "standard"\n', "please thank sulaiman for the help", "NAME_LIKE"),
        # `ner = false`: no PERSON from the NER model (names "standard" too: no heuristics).
        ('[privacy]\nner = false\nnames = "standard"\n', "Then John Smith called.", "PERSON"),
        ("[privacy]\ntopics = false\n", "I was diagnosed with diabetes last week.", "TOPIC"),
    ],
)
def test_scan_honours_every_privacy_setting_as_a_chat_turn_does(
    tandem_home: TandemPaths, config: str, text: str, absent: str
) -> None:
    out = io.StringIO()
    run_scan(text, as_json=True, out=out)
    assert absent in out.getvalue()  # found with the defaults
    tandem_home.config_file.write_text(config)
    out = io.StringIO()
    run_scan(text, as_json=True, out=out)
    assert absent not in out.getvalue()


def test_scan_shows_a_public_name_allowed_and_a_private_one_redacted(
    tandem_home: TandemPaths,
) -> None:
    out = io.StringIO()
    run_scan("What is the capital of France? One word.", as_json=True, out=out)
    [france] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (france["text"], france["action"], france["rule"]) == (
        "France",
        "allow",
        "public-knowledge",
    )
    out = io.StringIO()
    run_scan("Is my neighbour Tom Hargreaves at 14 Elm Road right?", as_json=True, out=out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records and all(r["action"] == "redact" for r in records)


def _privacy(*argv: str) -> str:
    parser = argparse.ArgumentParser(prog="tandem")
    add_privacy_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    assert run_privacy(parser.parse_args(["privacy", *argv]), out=out) == 0
    return out.getvalue()


def _scan_json(text: str) -> list[dict[str, str]]:
    out = io.StringIO()
    run_scan(text, as_json=True, out=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_teach_private_makes_a_public_name_redacted_and_is_listed(
    tandem_home: TandemPaths,
) -> None:
    [obama] = _scan_json("Who is Barack Obama?")
    assert obama["action"] == "allow"
    assert "Barack Obama" in _privacy("teach", "private", "Barack Obama")
    [obama] = [r for r in _scan_json("Who is Barack Obama?") if r["type"] == "PERSON"]
    assert (obama["action"], obama["rule"]) == ("redact", "taught-private")
    assert "taught-private" in tandem_home.config_file.read_text()
    listed = _privacy("taught")
    assert "private" in listed and "Barack Obama" in listed


def test_teach_public_sends_a_name_the_scan_would_redact(tandem_home: TandemPaths) -> None:
    text = "What did my neighbour Tom Hargreaves say?"
    assert any(r["text"] == "Tom Hargreaves" and r["action"] == "redact" for r in _scan_json(text))
    _privacy("teach", "public", "Tom Hargreaves")
    [tom] = [r for r in _scan_json(text) if r["text"] == "Tom Hargreaves"]
    assert (tom["action"], tom["rule"]) == ("allow", "taught-public")


def test_teach_mine_keeps_a_name_on_my_devices(tandem_home: TandemPaths) -> None:
    text = "What did my neighbour Tom Hargreaves say?"
    said = _privacy("teach", "mine", "Tom Hargreaves")
    assert said == "Tom Hargreaves will keep its turn on your devices from the next message\n"
    found = [r for r in _scan_json(text) if r["text"] == "Tom Hargreaves"]
    # The detectors' finding and the rule's own keyword: the taught rule decides both.
    assert found and {(r["action"], r["rule"]) for r in found} == {("keep_mine", "taught-mine")}
    assert "mine     Tom Hargreaves" in _privacy("taught")


def test_forget_removes_a_taught_name(tandem_home: TandemPaths) -> None:
    _privacy("teach", "private", "Tom Hargreaves")
    assert "forgot" in _privacy("taught", "--forget", "tom hargreaves")
    assert "taught-private" not in tandem_home.config_file.read_text()
    assert "no taught names" in _privacy("taught")


def test_forgetting_an_unknown_name_says_so(tandem_home: TandemPaths) -> None:
    parser = argparse.ArgumentParser(prog="tandem")
    add_privacy_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(TandemError, match="not a taught name"):
        run_privacy(parser.parse_args(["privacy", "taught", "--forget", "Nobody"]))


def test_an_identifier_cannot_be_taught_public_and_the_file_is_untouched(
    tandem_home: TandemPaths,
) -> None:
    tandem_home.config_file.write_text("# mine\n")
    parser = argparse.ArgumentParser(prog="tandem")
    add_privacy_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["privacy", "teach", "public", "tom@example.com"])
    with pytest.raises(TandemError, match="cannot be marked public"):
        run_privacy(args)
    assert tandem_home.config_file.read_text() == "# mine\n"


def test_a_broken_settings_file_is_not_overwritten(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text("[privacy\nnot toml")
    parser = argparse.ArgumentParser(prog="tandem")
    add_privacy_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(TandemError, match="not valid TOML"):
        run_privacy(parser.parse_args(["privacy", "teach", "private", "Tom"]))
    assert tandem_home.config_file.read_text() == "[privacy\nnot toml"


TASK = "Compose a travel blog post about Hawaii."


def test_scan_says_a_name_in_doubt_stays_private_with_the_judge_off(
    tandem_home: TandemPaths,
) -> None:
    out = io.StringIO()
    run_scan(TASK, out=out)
    assert "Hawaii" in out.getvalue()
    assert 'undecided, kept private (judge off: [privacy] judge = "device" asks the device ' in (
        out.getvalue()
    )


def test_scan_asks_the_device_model_when_the_judge_is_on(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a chat turn does; the tiny random model's babble is no verdict: Hawaii stays private."""
    monkeypatch.setenv("TANDEM_LOCAL__MODEL", str(tiny_gguf))
    tandem_home.config_file.write_text('[privacy]\njudge = "device"\n')
    out = io.StringIO()
    run_scan(TASK, out=out)
    assert "judged by the device model: Hawaii -> private" in out.getvalue()
    [record] = _scan_json(TASK)
    assert (record["text"], record["action"]) == ("Hawaii", "redact")
