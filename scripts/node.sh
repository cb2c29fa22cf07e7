#!/usr/bin/env bash
# Runs a project entry point (TypeScript, via Node's type stripping) on Node >= 22.12.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec node --disable-warning=ExperimentalWarning "$@"
