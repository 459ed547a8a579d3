"""Run by benchmarks/capacity_forecast.py inside the statsforecast virtual environment: each peer model
on every hourly series of an .npz file, 168 hours ahead with 80/95% levels; prints the seconds each took.

Peers: AutoETS(season_length=24), and MSTL(season_length=[24, 168]) with an AutoETS trend model (the
tool a forecaster picks for a daily and a weekly season)."""

import json
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoETS

src, dst, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = np.load(src)
series = [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[1]))]
frames = [
    pd.DataFrame({"unique_id": i, "ds": pd.date_range("2000-01-01", periods=len(y), freq="h"), "y": y})
    for i, y in enumerate(series)
]
df = pd.concat(frames, ignore_index=True)
peers = {
    "autoets": AutoETS(season_length=24),
    "mstl": MSTL(season_length=[24, 168], trend_forecaster=AutoETS(model="ZZN")),
}
shape = (len(series), 168)
out, seconds = {}, {}
for key, model in peers.items():
    sf = StatsForecast(models=[model], freq="h", n_jobs=jobs)
    sf.forecast(df=df[df.unique_id < 2], h=168, level=[80, 95])  # compile numba first
    t0 = time.perf_counter()
    fc = sf.forecast(df=df, h=168, level=[80, 95])
    seconds[key] = time.perf_counter() - t0
    fc = fc.sort_values(["unique_id", "ds"])
    col = str(model)
    out[f"{key}_mean"] = fc[col].to_numpy().reshape(shape)
    out[f"{key}_lo95"] = fc[f"{col}-lo-95"].to_numpy().reshape(shape)
    out[f"{key}_hi95"] = fc[f"{col}-hi-95"].to_numpy().reshape(shape)
np.savez(dst, **out)
print(json.dumps({"seconds": seconds}))
