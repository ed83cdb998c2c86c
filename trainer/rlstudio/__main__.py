import sys

from rlstudio.cli import main

sys.exit(main())
