"""Profile a CSV file: per-column count/mean/min/max (numeric) or distinct count (other)."""

from __future__ import annotations

import argparse
import csv
import json
import statistics


def profile(path: str) -> dict[str, dict[str, float | int]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, dict[str, float | int]] = {}
    for column in rows[0].keys() if rows else []:
        values = [r[column] for r in rows]
        try:
            numbers = [float(v) for v in values]
        except ValueError:
            out[column] = {"count": len(values), "distinct": len(set(values))}
            continue
        out[column] = {
            "count": len(numbers),
            "mean": round(statistics.fmean(numbers), 4),
            "min": min(numbers),
            "max": max(numbers),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv")
    parser.add_argument("--out", default="stats.json")
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(profile(args.csv), fh, indent=2)


if __name__ == "__main__":
    main()
