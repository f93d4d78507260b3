"""Train and evaluate Tandem's routers on the public data and print the goal table.

Same as `tandem router report`; see benchmarks/README.md.

    .venv/bin/python benchmarks/router_training.py                    # everything
    .venv/bin/python benchmarks/router_training.py --write-assets     # also refresh assets/
    .venv/bin/python benchmarks/router_training.py --only sequential  # M4A1 only
"""

from __future__ import annotations

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(["router", "report", *sys.argv[1:]]))
