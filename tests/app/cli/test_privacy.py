import argparse
import io
import json

from app.cli.privacy import add_privacy_parser, run_privacy, run_scan
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
