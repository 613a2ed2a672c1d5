"""Core tests use the fixtures of semaphore.testing (loaded through the pytest11 entry point)."""

import sys
from pathlib import Path

# Test modules share small helper modules of this directory (the importlib import mode does not add it to the path).
sys.path.insert(0, str(Path(__file__).parent))
