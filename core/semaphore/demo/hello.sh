#!/usr/bin/env bash
# A Bash template: arguments and NAME=VALUE extra variables arrive on the command line.
set -euo pipefail
echo "Hello from Bash on $(uname -n)"
echo "Arguments: $*"
