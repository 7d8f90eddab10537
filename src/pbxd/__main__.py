import sys

from .cli import pbxd_main

sys.exit(pbxd_main())
