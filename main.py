"""EZChat server. Development: ``python main.py``. Production: ``DEBUG=False python main.py``."""

import sys

from ezchat.entry.main import main

if __name__ == "__main__":
    sys.exit(main())
