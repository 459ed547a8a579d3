"""Run by benchmarks/capacity_forecast.py inside the statsforecast virtual environment: AutoETS on
each hourly series of an .npz file, 168 hours ahead with 80/95% levels; prints the seconds taken."""

import json
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS

src, dst, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = np.load(src)
series = [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[1]))]
frames = [
    pd.DataFrame({"unique_id": i, "ds": pd.date_range("2000-01-01", periods=len(y), freq="h"), "y": y})
    for i, y in enumerate(series)
]
df = pd.concat(frames, ignore_index=True)
sf = StatsForecast(models=[AutoETS(season_length=24)], freq="h", n_jobs=jobs)
sf.forecast(df=df[df.unique_id < 2], h=168, level=[80, 95])  # compile numba first
t0 = time.perf_counter()
fc = sf.forecast(df=df, h=168, level=[80, 95])
seconds = time.perf_counter() - t0
fc = fc.sort_values(["unique_id", "ds"])
shape = (len(series), 168)
np.savez(
    dst,
    mean=fc["AutoETS"].to_numpy().reshape(shape),
    lo95=fc["AutoETS-lo-95"].to_numpy().reshape(shape),
    hi95=fc["AutoETS-hi-95"].to_numpy().reshape(shape),
)
print(json.dumps({"seconds": seconds}))
