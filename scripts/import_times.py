"""Prints how long each handler module takes to import in a fresh Python process.

Import time is most of a Lambda cold start's init phase. Run with the project's Python 3.13:
``.venv/bin/python scripts/import_times.py [repeats]``; each figure is the median of the runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"


def import_seconds(function_dir: Path) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": f"{function_dir}{os.pathsep}{ROOT / 'layers' / 'common'}",
        "PYTHONDONTWRITEBYTECODE": "",
        "POWERTOOLS_SERVICE_NAME": "bak2rds",
        "POWERTOOLS_METRICS_NAMESPACE": "Bak2Rds",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed probe
        [sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True
    )
    return float(result.stdout.strip())


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"Python {sys.version.split()[0]}, median of {repeats} fresh processes")
    print(f"{'handler':<24} {'import ms':>10}")
    for function_dir in sorted((ROOT / "functions").iterdir()):
        if (function_dir / "app.py").is_file():
            runs = [import_seconds(function_dir) for _ in range(repeats)]
            print(f"{function_dir.name:<24} {statistics.median(runs) * 1000:>10.0f}")


if __name__ == "__main__":
    main()
