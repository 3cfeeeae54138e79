"""`python -m ezchat`: the admin command (`--help` lists the subcommands)."""

import sys

from ezchat.entry.cli import main

sys.exit(main())
