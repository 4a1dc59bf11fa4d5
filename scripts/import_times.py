"""Prints how long each handler takes to import in a fresh process, and that time over boto3's.

Import time is most of a Lambda cold start's init phase, and ``import boto3`` is the floor every
Python function that calls AWS pays. For each handler this script runs, alternately, a fresh
process that imports only boto3 and one that imports the handler's ``app`` module (which
imports boto3 too), and prints the medians and their ratio, and the ratio of the fastest runs
(the least disturbed by whatever else the machine does); the target is a median ratio of at
most 1.5 for every handler. Run with the project's Python 3.13:
``.venv/bin/python scripts/import_times.py [repeats]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(function_dir: Path, module: str) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": f"{function_dir}{os.pathsep}{ROOT / 'layers' / 'common'}",
        "PYTHONDONTWRITEBYTECODE": "",
        "POWERTOOLS_SERVICE_NAME": "bak2rds",
        "POWERTOOLS_METRICS_NAMESPACE": "Bak2Rds",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed probe
        [sys.executable, "-c", PROBE.format(module=module)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(result.stdout.strip())


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    print(f"Python {sys.version.split()[0]}, median of {repeats} fresh processes each")
    print(f"{'handler':<24} {'import ms':>10} {'boto3 ms':>9} {'ratio':>6} {'fastest':>8}")
    ratios = []
    for function_dir in sorted((ROOT / "functions").iterdir()):
        if not (function_dir / "app.py").is_file():
            continue
        handler, boto3 = [], []
        for _ in range(repeats):  # alternate, so a busy moment weighs on both alike
            boto3.append(import_seconds(function_dir, "boto3"))
            handler.append(import_seconds(function_dir, "app"))
        ratio = statistics.median(handler) / statistics.median(boto3)
        ratios.append(ratio)
        print(
            f"{function_dir.name:<24} {statistics.median(handler) * 1000:>10.0f} "
            f"{statistics.median(boto3) * 1000:>9.0f} {ratio:>6.2f} "
            f"{min(handler) / min(boto3):>8.2f}"
        )
    print(
        f"ratio median {statistics.median(ratios):.2f}, worst {max(ratios):.2f} "
        f"(target <= {TARGET_RATIO})"
    )
    return 0 if max(ratios) <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
