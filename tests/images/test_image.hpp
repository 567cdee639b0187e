// A small busybox image built offline for tests: an OCI image layout made with `umoci`
// from Debian's busybox-static, two layers (the second removes /bin/ls and adds
// /etc/agora-test), named "busybox".
#pragma once

#include <string>

namespace agora::slave::images::testing {

// Why the image cannot be built here (no umoci, no /bin/busybox), or empty.
std::string whyNoTestImage();
// Builds the layout at `layoutDir` (must not exist). Returns an error text, or empty.
std::string buildBusyboxLayout(const std::string& layoutDir);

}  // namespace agora::slave::images::testing
