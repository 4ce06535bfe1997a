#!/usr/bin/env bash
# Makes the toolchain pinned in rust-toolchain.toml available without a
# download: this machine's one toolchain is `stable`; when it is the pinned
# version, it is linked under the pinned name. Otherwise the build goes on
# with `stable` (RUSTUP_TOOLCHAIN, printed), and the UI snapshots may need
# re-blessing for the new compiler's messages.
# Sourced by .ci/run, so the export reaches the commands after it.
pinned=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup toolchain list | grep -q "^$pinned-"; then
  stable_version=$(rustc +stable --version | cut -d' ' -f2)
  if [ "$stable_version" = "$pinned" ]; then
    # `rustup toolchain link` refuses names of official releases, so the
    # link is made by hand where rustup keeps its toolchains.
    sysroot=$(rustc +stable --print sysroot)
    ln -sfn "$sysroot" "$(dirname "$sysroot")/$pinned-$(basename "$sysroot" | sed 's/^stable-//')"
  else
    echo "toolchain: $pinned is pinned but stable is $stable_version; building with stable" >&2
    export RUSTUP_TOOLCHAIN=stable
  fi
fi
