#!/usr/bin/env bash
# Builds sockbridge as one static executable: src/Portal.SocketBridge/build.sh OUTPUT
# Needs a C compiler and glibc's static libraries (Debian: gcc, libc6-dev), which the launcher's NativeAOT build
# needs anyway.
set -euo pipefail
out=${1:?usage: build.sh OUTPUT}
cc -static -O2 -Wall -Wextra -Werror -o "$out.tmp" "$(dirname "$0")/sockbridge.c"
strip "$out.tmp"
mv "$out.tmp" "$out"
