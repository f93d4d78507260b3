from router.privacy.detectors.web import UrlDetector


def _urls(text: str) -> list[str]:
    return [text[f.start : f.end] for f in UrlDetector().detect(text)]


def test_finds_scheme_www_and_bare_domain_links() -> None:
    text = (
        "See https://gitlab.com/team/ext/adblock, then www.cnn.com/2023/04/tech. "
        "Also busapi.amithv.xyz/api/v1 (internal)."
    )
    assert _urls(text) == [
        "https://gitlab.com/team/ext/adblock",
        "www.cnn.com/2023/04/tech",
        "busapi.amithv.xyz/api/v1",
    ]


def test_ignores_file_names_versions_and_sentences() -> None:
    assert _urls("Open report.pdf with v1.2 of the tool. The end.") == []
    assert _urls("email me at bob@example.com") == []


def test_a_url_with_a_name_in_it_is_redacted_by_the_default_rules() -> None:
    from router.privacy.rules import RuleSubject, build_rules

    decision = build_rules().decide(RuleSubject(type="URL"))
    assert decision.action == "redact" and decision.rule is not None
    assert decision.rule.reason == "contains a web address"
