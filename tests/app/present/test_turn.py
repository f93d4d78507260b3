from app.present.turn import route_label, stats_line
from router.types import RouteDecision, Usage


def test_route_label_says_where_and_why() -> None:
    decision = RouteDecision(
        endpoint="local", endpoint_kind="local", policy="local", reason="local-only policy"
    )
    assert route_label(decision) == "on this device (local) · local-only policy"


def test_stats_line_shows_tokens_speed_latency_and_how_it_ended() -> None:
    usage = Usage(input_tokens=12, output_tokens=11, ttft_s=0.5, latency_s=1.5)
    assert stats_line(usage, "complete") == (
        "12 in / 11 out tokens · 10.0 tok/s · first token 0.50 s · total 1.50 s"
    )
    assert stats_line(None, "cancelled") == "stopped"


def test_stats_line_shows_money_only_when_something_was_spent() -> None:
    paid = Usage(input_tokens=1000, output_tokens=100, ttft_s=0.5, latency_s=1.5, cost_usd=0.0015)
    assert stats_line(paid, "complete").endswith(" · $0.0015")
    assert "$" not in stats_line(Usage(output_tokens=3, latency_s=1.0), "complete")
