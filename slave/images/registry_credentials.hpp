// Registry credentials from a Docker `config.json` (what `docker login` and
// `skopeo login` write): {"auths": {"host:port": {"auth": base64("user:password")}}}, or
// "username" and "password" fields instead of "auth". The agent's
// --registry_credentials names such a file; its executors read it before a pull.
#pragma once

#include <map>
#include <string>

#include "common/base/status.hpp"
#include "slave/images/registry_client.hpp"

namespace agora::slave::images {

// Errors name the file and the registry entry that is wrong. Keys are registry hosts as
// image references name them ("https://" and trailing paths dropped; Docker's
// "https://index.docker.io/v1/" is "docker.io").
StatusOr<std::map<std::string, RegistryOptions::Credentials>> loadRegistryCredentials(
    const std::string& path);

}  // namespace agora::slave::images
