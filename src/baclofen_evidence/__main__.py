import sys

from baclofen_evidence.cli import main

sys.exit(main())
