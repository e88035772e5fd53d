#!/usr/bin/env bash
# Builds Acme's rules repository as its platform team keeps it: the pack in packs/privacy,
# tagged v1.0.0 (privacy-rules/ here) and v1.1.0 (privacy-rules-v1.1.0.patch on top), as a bare
# repository in DEST (default: build/privacy-rules.git). Dates and authors are fixed, so the
# commits, and the teams' .threatmodel.lock files, are the same on every machine.
#
# The teams' project files name it https://git.example.org/acme/privacy-rules.git; to serve it
# from DEST instead, without touching any git configuration, evaluate what this prints:
#   eval "$(examples/org/make-pack-repo.sh)"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:-$here/build/privacy-rules.git}"
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ] && [ ! -f "$dest/HEAD" ]; then
  echo "make-pack-repo.sh: $dest is neither empty nor a repository; give another folder" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export GIT_AUTHOR_NAME="Acme platform team" GIT_AUTHOR_EMAIL="platform@example.org"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
git() { command git -c init.defaultBranch=main -c commit.gpgsign=false -c tag.gpgsign=false "$@"; }

git init -q "$work/repo"
cd "$work/repo"
mkdir -p packs
cp -R "$here/privacy-rules" packs/privacy
git add -A
GIT_AUTHOR_DATE="2026-09-01T09:00:00Z" GIT_COMMITTER_DATE="2026-09-01T09:00:00Z" \
  git commit -q -m "Acme privacy pack 1.0.0"
GIT_COMMITTER_DATE="2026-09-01T09:00:00Z" git tag -a v1.0.0 -m "acme-privacy 1.0.0"
git apply "$here/privacy-rules-v1.1.0.patch"
git add -A
GIT_AUTHOR_DATE="2026-11-02T09:00:00Z" GIT_COMMITTER_DATE="2026-11-02T09:00:00Z" \
  git commit -q -m "Acme privacy pack 1.1.0: training on inputs; children raise retention severity"
GIT_COMMITTER_DATE="2026-11-02T09:00:00Z" git tag -a v1.1.0 -m "acme-privacy 1.1.0"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
git clone -q --bare "$work/repo" "$dest"
dest="$(cd "$dest" && pwd)"
echo "export GIT_CONFIG_COUNT=1"
echo "export GIT_CONFIG_KEY_0=url.file://$dest.insteadOf"
echo "export GIT_CONFIG_VALUE_0=https://git.example.org/acme/privacy-rules.git"
