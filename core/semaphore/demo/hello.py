"""A Python template: arguments and NAME=VALUE extra variables arrive on the command line."""

import platform
import sys

print(f"Hello from Python {platform.python_version()} on {platform.node()}")
print("Arguments:", " ".join(sys.argv[1:]))
