"""``python -m stagematch.cli`` runs the command line (as ``python -m stagematch`` does)."""

import sys

from . import main

sys.exit(main())
