#!/usr/bin/env bash
# Acme's privacy gate, as each repository's CI runs it (from this folder, or with paths adjusted):
# the shared pack must lint and pass its own tests, then every team's answers file is checked
# with the packs named in .threatmodel.yaml. Exit 1 when any team is at or above the gate.
set -uo pipefail
cd "$(dirname "$0")"
status=0
threatmodel rules lint privacy-rules || exit 2
threatmodel rules test privacy-rules || exit 1
for answers in */threat-assessment.yaml; do
  echo "== $answers"
  threatmodel check "$answers" || status=1
done
exit $status
