from app.cli.chat import describe_turn
from app.present.turn import route_label, stats_line, zone_label
from router.types import RouteDecision, Turn, Usage


def test_route_label_says_where_and_why() -> None:
    decision = RouteDecision(
        endpoint="local", endpoint_kind="local", policy="local", reason="local-only policy"
    )
    assert route_label(decision) == "on this device (local) · local-only policy"


def test_route_label_and_zone_say_which_zone_the_answer_came_from() -> None:
    desk = RouteDecision(
        endpoint="desk", endpoint_kind="edge", policy="p", reason="kept on your devices: x",
        zone="mine",
    )  # fmt: skip
    assert route_label(desk) == "on your devices (desk) · kept on your devices: x"
    assert zone_label(desk) == "your devices"
    lab = desk.model_copy(update={"endpoint": "lab", "zone": "cloud", "reason": ""})
    assert route_label(lab) == "on an edge server outside your devices (lab)"
    assert zone_label(lab) == "cloud"
    claude = lab.model_copy(
        update={"endpoint": "claude", "endpoint_kind": "cloud", "redactions": ("PERSON",)}
    )
    assert route_label(claude) == "redacted, then in the cloud (claude)"
    assert zone_label(claude) == "redacted → cloud"
    local = RouteDecision(endpoint="local", endpoint_kind="local", policy="p", reason="")
    assert zone_label(local) == "this device"


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


def test_the_terminal_chat_says_the_zone_after_an_answer() -> None:
    route = RouteDecision(
        endpoint="desk", endpoint_kind="edge", policy="p", reason="kept on your devices: x",
        zone="mine",
    )  # fmt: skip
    turn = Turn(session_id="s", seq=0, user_text="q", answer="a", route=route, status="complete")
    assert describe_turn(turn) == "[on your devices (desk) · kept on your devices: x]"
