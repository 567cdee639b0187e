// A tiny root filesystem for container tests, built offline from the host's static busybox
// (Debian package `busybox-static`): `/bin/busybox`, symlinks for the usual applets, the
// empty mount points runc expects and an `/etc/passwd` and `/etc/group` for root.
#pragma once

#include <string>

#include "common/base/status.hpp"

namespace agora::testing {

// Where the static busybox is expected on the host.
inline constexpr char kHostBusybox[] = "/bin/busybox";

// True if `kHostBusybox` exists and is statically linked (a dynamic one would not run in a
// rootfs without libc).
bool haveStaticBusybox();

// Creates `rootfs` (and parents) and fills it as described above.
// Errors: kNotFound without a static busybox, kIoError.
Status makeBusyboxRootfs(const std::string& rootfs);

}  // namespace agora::testing
