"""`python -m topsongs_devstack.cluster up|down|status [component ...]`."""

import sys

from topsongs_devstack.cluster.cli import main

sys.exit(main())
