# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the doctor tests: e2e/lib.sh plus line matching (match.sh).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/match.sh"
