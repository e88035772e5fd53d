#!/usr/bin/env bash
# Acme's privacy gate, as each repository's CI runs it (from this folder, or with paths adjusted):
# the shared pack must lint and pass its own tests; every team's answers file is checked, in one
# call, with the packs named in .threatmodel.yaml; and each file's SARIF is written for code
# scanning and, when running in GitHub Actions with a token, uploaded. Exit 1 when any team is
# at or above the gate.
set -uo pipefail
cd "$(dirname "$0")"
threatmodel rules lint privacy-rules || exit 2
threatmodel rules test privacy-rules || exit 1

# The teams that take the pack from this folder (.threatmodel.yaml here). A team with its own
# project file pinning the pack by git tag (support-triage/) runs `threatmodel rules sync` and
# then `threatmodel check` in its own repository's CI.
teams=(spam-filter/threat-assessment.yaml fraud-scorer/threat-assessment.yaml)
# One SARIF file per answers file (named after its folder: every team's file has one name).
# Accepted risks are left out: code scanning would show them as open alerts.
threatmodel report "${teams[@]}" --format sarif --output-dir sarif || exit 2
threatmodel check "${teams[@]}"
status=$?

# Upload to GitHub code scanning, as github/codeql-action/upload-sarif does: gzip, base64, one
# request per file (each run names its answers file as its category, so files never close
# each other's alerts). Outside GitHub Actions, say where the files are.
for sarif in sarif/*.sarif; do
  if [ -n "${GITHUB_TOKEN:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
    gzip -c "$sarif" | base64 -w0 > "$sarif.gz.b64"
    curl --fail --silent --show-error -X POST \
      -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" \
      "https://api.github.com/repos/$GITHUB_REPOSITORY/code-scanning/sarifs" \
      -d "{\"commit_sha\": \"$GITHUB_SHA\", \"ref\": \"$GITHUB_REF\", \"sarif\": \"$(cat "$sarif.gz.b64")\"}" \
      || status=2
  else
    echo "SARIF for code scanning: $sarif (uploaded when GITHUB_TOKEN and GITHUB_REPOSITORY are set)"
  fi
done
exit $status
