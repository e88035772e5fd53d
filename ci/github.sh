#!/usr/bin/env bash
# The threatmodel GitHub Action's one step (action.yml), runnable anywhere: finds the answers
# files, writes one SARIF file per answers file for code scanning, writes what changed since the
# base branch and the gate's verdict as Markdown, then exits with the gate's code.
#
#   TM_FILES    answers files, one per line (or space-separated on one line) (default: every threat-assessment.yaml and
#               *.threatmodel.yaml that git tracks)
#   TM_FAIL_ON  --fail-on level (default: each project file's, else high)
#   TM_BASE     git ref to compare with (default: none, no diff)
#   TM_OUT      folder for the SARIF files (default: threatmodel-sarif)
#   TM_SUMMARY  file the Markdown summary is appended to (default: standard output;
#               GitHub: $GITHUB_STEP_SUMMARY)
#   TM_FORMAT   sarif (default) or codequality (GitLab)
set -uo pipefail

out="${TM_OUT:-threatmodel-sarif}"
summary="${TM_SUMMARY:-/dev/stdout}"
format="${TM_FORMAT:-sarif}"
if [ -n "${TM_FILES:-}" ]; then
  if [[ "$TM_FILES" == *$'\n'* ]]; then  # one per line: a name may hold a space
    mapfile -t files < <(printf '%s\n' "$TM_FILES" | grep -v '^[[:space:]]*$')
  else
    read -r -a files <<< "$TM_FILES"
  fi
else
  # NUL-separated, unquoted paths: a folder with a space or an accent is still checked.
  mapfile -d '' files < <(git -c core.quotePath=false ls-files -z -- \
    '*threat-assessment.yaml' '*.threatmodel.yaml' \
    | grep -zE '(^|/)(threat-assessment|[^/]+\.threatmodel)\.yaml$')
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "## threatmodel" >> "$summary"
  echo "No answers files (threat-assessment.yaml, *.threatmodel.yaml) found." >> "$summary"
  exit 0
fi
gate=()
if [ -n "${TM_FAIL_ON:-}" ]; then gate=(--fail-on "$TM_FAIL_ON"); fi

mkdir -p "$out"
# A broken file is named on standard error; the others' reports are still written.
threatmodel report "${files[@]}" --format "$format" --output-dir "$out" || true

{
  echo "## threatmodel"
  echo
  if [ -n "${TM_BASE:-}" ]; then
    scratch="$(mktemp -d)"
    for file in "${files[@]}"; do
      if git cat-file -e "$TM_BASE:$file" 2>/dev/null; then
        git show "$TM_BASE:$file" > "$scratch/before.yaml"
        if ! git diff --quiet "$TM_BASE" -- "$file"; then
          echo "### $file"
          echo
          threatmodel diff "$scratch/before.yaml" "$file" --format md 2>&1
          echo
        fi
      else
        echo "### $file"
        echo
        echo "New assessment."
        echo
      fi
    done
    rm -rf "$scratch"
  fi
  echo '```'
  threatmodel check "${files[@]}" "${gate[@]}" 2>&1
  status=$?
  echo '```'
  exit $status
} >> "$summary"
