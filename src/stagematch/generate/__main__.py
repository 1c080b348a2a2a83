"""``python -m stagematch.generate [PATH]``: rewrite the bundled pilot dataset."""

from __future__ import annotations

import sys

from . import write_pilot

if __name__ == "__main__":
    print(write_pilot(sys.argv[1] if len(sys.argv) > 1 else None))
