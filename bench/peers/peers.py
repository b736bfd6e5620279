"""Peer forecasters on the backtest protocol of forecasting/backtest (run by bench/peers/run.ts).

Reads the scored forecasts the freshchain CLI exported (--out CSV: origin, target, lead) so the
peers forecast exactly the same targets from exactly the same origins, each peer refitted at every
origin on the observations before it; observed weather of the target steps stands in for a
weather forecast, as in the CLI. Prints one JSON object: per model p10/p50/p90 per scored row.

Peers:
  mstl_autoets  statsforecast MSTL (daily and weekly seasons; weekly and annual on daily data
                with two years or more) with AutoETS on the seasonally adjusted series, 80% interval.
  lightgbm      LightGBM, direct: calendar (slot of day, weekday, day of year), lags of whole weeks
                (1..4 weeks back and their mean, all known at every lead of a one-week horizon),
                weather columns, holiday flags (the day, the day before, the day after); p50 from
                an L1 objective, p10/p90 from quantile objectives.
Threads are limited to one (the machine is shared).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import MSTL, AutoETS  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--csv", required=True)
    p.add_argument("--time", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--features", default="")
    p.add_argument("--holiday-column", required=True)
    p.add_argument("--slots-per-day", type=int, required=True)
    p.add_argument("--scored", required=True, help="the freshchain CLI's --out CSV")
    p.add_argument("--models", default="mstl_autoets,lightgbm")
    return p.parse_args()


def load(args: argparse.Namespace) -> pd.DataFrame:
    df = pd.read_csv(args.csv)
    df["ts"] = pd.to_datetime(df[args.time])
    df = df.sort_values("ts").reset_index(drop=True)
    return df


def lgb_frame(df: pd.DataFrame, args: argparse.Namespace, features: list[str]) -> pd.DataFrame:
    s = args.slots_per_day
    week = 7 * s
    y = df[args.target].astype(float)
    x = pd.DataFrame(index=df.index)
    x["slot"] = (df["ts"].dt.hour * 60 + df["ts"].dt.minute) * s // 1440
    x["weekday"] = df["ts"].dt.weekday
    x["doy"] = df["ts"].dt.dayofyear
    x["t"] = np.arange(len(df)) / (365 * s)  # trend: lets trees split on recent vs old
    for k in range(1, 5):
        x[f"lag_{k}w"] = y.shift(k * week)
    x["mean_4w"] = x[[f"lag_{k}w" for k in range(1, 5)]].mean(axis=1)
    hol = df[args.holiday_column].astype(float)
    day_hol = hol.groupby(df["ts"].dt.normalize()).transform("max")
    x["holiday"] = day_hol
    x["holiday_before"] = day_hol.shift(-s).fillna(0)  # tomorrow is a holiday
    x["holiday_after"] = day_hol.shift(s).fillna(0)  # yesterday was a holiday
    for f in features:
        x[f] = pd.to_numeric(df[f], errors="coerce")
    return x


def lightgbm_forecasts(df, args, features, origins, idx_rows):
    x = lgb_frame(df, args, features)
    y = df[args.target].astype(float).to_numpy()
    first_ok = 4 * 7 * args.slots_per_day
    params = dict(learning_rate=0.05, num_leaves=31, min_data_in_leaf=20, bagging_fraction=0.8, bagging_freq=1,
                  feature_fraction=0.9, num_threads=1, verbose=-1, seed=1)
    out = {}
    for origin, idx in origins:
        train = slice(first_ok, idx)
        xt, yt = x.iloc[train], y[train]
        rows = idx_rows[origin]
        xf = x.iloc[rows]
        preds = {}
        for name, obj in (("p10", dict(objective="quantile", alpha=0.1)), ("p50", dict(objective="l1")),
                          ("p90", dict(objective="quantile", alpha=0.9))):
            booster = lgb.train({**params, **obj}, lgb.Dataset(xt, yt), num_boost_round=400)
            preds[name] = booster.predict(xf)
        out[origin] = preds
    return out


def mstl_forecasts(df, args, origins, idx_rows):
    s = args.slots_per_day
    y = df[args.target].astype(float).to_numpy()
    out = {}
    for origin, idx in origins:
        h = max(idx_rows[origin]) - idx + 1
        seasons = [7, 365] if s == 1 and idx >= 2 * 365 else [7] if s == 1 else [s, 7 * s]
        model = MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"))
        train = pd.DataFrame({"unique_id": "s", "ds": df["ts"].iloc[:idx].to_numpy(), "y": y[:idx]})
        sf = StatsForecast(models=[model], freq=pd.infer_freq(df["ts"].iloc[:50]), n_jobs=1)
        fc = sf.forecast(df=train, h=h, level=[80])
        cols = {c: fc[c].to_numpy() for c in fc.columns if c.startswith("MSTL")}
        lead = np.array(idx_rows[origin]) - idx
        out[origin] = {"p10": cols["MSTL-lo-80"][lead], "p50": cols["MSTL"][lead], "p90": cols["MSTL-hi-80"][lead]}
    return out


def main() -> None:
    args = parse_args()
    df = load(args)
    features = [f for f in args.features.split(",") if f]
    scored = pd.read_csv(args.scored, usecols=["origin", "target"])
    pos = {t: i for i, t in enumerate(df[args.time].astype(str))}
    origins = []
    # Row positions of the scored targets of each origin.
    idx_rows: dict[str, list[int]] = {}
    for origin, grp in scored.groupby("origin", sort=True):
        idx_rows[origin] = [pos[t] for t in grp["target"]]
        origins.append((origin, pos[origin]))
    result = {}
    for model in args.models.split(","):
        if model == "lightgbm":
            fc = lightgbm_forecasts(df, args, features, origins, idx_rows)
        elif model == "mstl_autoets":
            fc = mstl_forecasts(df, args, origins, idx_rows)
        else:
            raise SystemExit(f"unknown model {model}")
        # Rows in the order of the scored file (grouped by origin, targets in file order).
        rows = {"p10": [], "p50": [], "p90": []}
        for origin, grp in scored.groupby("origin", sort=True):
            for q in rows:
                rows[q].extend(float(v) for v in np.maximum(fc[origin][q], 0.0))
        result[model] = rows
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
