"""A 200 MB case-system file loads with bounded memory: the file is read in chunks, and what
grows with its size is only the key index (a 64-bit hash per row), not the rows' content.

Measured by loading a ~50 MB and a ~200 MB episodes file in fresh processes: the extra peak
memory per extra row must stay far below what holding the rows would cost (a plain
``pandas.read_csv`` of the file needs about 230 bytes a row here)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from transforms.sample import defects
from transforms.sample.landing import generate_landing

pytestmark = pytest.mark.integration

MAX_BYTES_PER_EXTRA_ROW = 120


def _delivery_with_big_episodes(root: Path, copies: int) -> tuple[Path, int, int]:
    generate_landing(root, children=300, years=4, seed=11)
    folder = next((root / "landing" / "case_system").iterdir())
    episodes = pd.read_csv(folder / "YJ_Episodes.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    big = pd.concat([episodes.assign(**{"Episode ID": episodes["Episode ID"] + (f"-{i}" if i else "")})
                     for i in range(copies)], ignore_index=True)
    big.to_csv(folder / "YJ_Episodes.csv", index=False, encoding="utf-8-sig")
    defects.rehash(folder)
    return root / "landing", (folder / "YJ_Episodes.csv").stat().st_size, len(big)


def _load_peak_mb(landing: Path, root: Path) -> tuple[float, str]:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from transforms.settings import load_settings
        from transforms.ingest.sources import load_case_system
        s = load_settings().with_overrides(landing_dir=Path({str(landing)!r}), raw_archive_dir=Path({str(root / 'raw')!r}),
                                           warehouse_url="sqlite:///" + {str(root / 'wh.sqlite')!r})
        report = load_case_system(s)
        # VmHWM is this process's own peak; ru_maxrss would carry over the parent's across exec.
        hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
        print(report.counts["episode"].loaded, int(hwm.split()[1]) / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900)
    loaded, peak = out.stdout.split()[-2:]
    return float(peak), loaded


def test_a_200_mb_file_loads_with_bounded_memory(tmp_path):
    small_landing, small_size, small_rows = _delivery_with_big_episodes(tmp_path / "small", 1500)
    big_landing, big_size, big_rows = _delivery_with_big_episodes(tmp_path / "big", 6000)
    assert big_size > 200_000_000
    small_peak, small_loaded = _load_peak_mb(small_landing, tmp_path / "small")
    big_peak, big_loaded = _load_peak_mb(big_landing, tmp_path / "big")
    assert int(small_loaded) == small_rows and int(big_loaded) == big_rows
    per_row = (big_peak - small_peak) * 1024 * 1024 / (big_rows - small_rows)
    print(f"peak {small_peak:.0f} MB for {small_size / 1e6:.0f} MB, {big_peak:.0f} MB for {big_size / 1e6:.0f} MB: "
          f"{per_row:.0f} bytes per extra row")
    assert per_row < MAX_BYTES_PER_EXTRA_ROW
