"""The demo target's schedule: / fails for 90 s from one minute after start, then every ten minutes."""

from sms_metrics.demo.target import Schedule, demo_probes


def test_the_target_fails_for_ninety_seconds_every_ten_minutes():
    s = Schedule(t0=1000.0)
    assert [s.failing(1000 + t) for t in (0, 59, 60, 149, 150, 659, 660, 749, 750)] == [
        False, False, True, True, False, False, True, True, False,
    ]  # fmt: skip
    assert s.next_failure(1000) == 1060 and s.next_failure(1100) == 1660


def test_the_demo_probes_cover_every_example_service():
    probes = demo_probes("demo-target", 8081, 8443)
    assert {t["service"] for t in probes["targets"]} == {
        "checkout",
        "payments-gateway",
        "search",
        "catalogue-api",
        "demo-target",
    }
    tls = [t for t in probes["targets"] if t["target"].startswith("https://")]
    assert tls and probes["modules"][tls[0]["module"]]["http"]["tls_verify"] is False
