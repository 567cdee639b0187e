// Validation of CREATE and DESTROY (persistent volumes), as Mesos does it in
// `master/validation.cpp` (operation::validate(Create/Destroy)): pure functions.
#include <algorithm>
#include <sstream>

#include "master/validation.hpp"

namespace agora::master {
namespace {

// A container path lands under the task's sandbox: it must stay there.
Error validateContainerPath(const std::string& path) {
  if (path.empty()) {
    return std::string("disk.volume.container_path is missing");
  }
  if (path.front() == '/') {
    return "disk.volume.container_path '" + path + "' must be relative to the sandbox";
  }
  std::istringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part == "..") {
      return "disk.volume.container_path '" + path + "' must not contain '..'";
    }
  }
  if (path.find('\0') != std::string::npos) {
    return std::string("disk.volume.container_path contains a NUL byte");
  }
  return std::nullopt;
}

// The persistence id names the volume's directory on the agent.
Error validatePersistenceId(const std::string& id) {
  if (id.empty()) {
    return std::string("disk.persistence.id is missing");
  }
  if (id == "." || id == ".." || id.size() > 255 || std::any_of(id.begin(), id.end(), [](char c) {
        return c == '/' || c == '\0' || std::isspace(static_cast<unsigned char>(c));
      })) {
    return "disk.persistence.id '" + id + "' must be 1-255 characters without '/' or whitespace";
  }
  return std::nullopt;
}

// The checks every volume of CREATE and DESTROY shares.
Error validateVolume(const v1::Resource& volume, const VolumeRequester& requester) {
  if (volume.name() != "disk") {
    return "name must be 'disk', not '" + volume.name() + "'";
  }
  if (!volume.has_disk() || !volume.disk().has_persistence()) {
    return std::string("disk.persistence is missing (not a persistent volume)");
  }
  if (auto error = validatePersistenceId(volume.disk().persistence().id())) {
    return error;
  }
  const std::string& role = volume.role();
  if (role.empty() || role == Resources::kUnreservedRole) {
    return std::string("persistent volumes need disk reserved to a role, not unreserved disk");
  }
  if (auto error = validateRole(role)) {
    return error;
  }
  if (!requester.role.empty() && role != requester.role) {
    return "role '" + role + "' is not the framework's role '" + requester.role + "'";
  }
  return std::nullopt;
}

StatusOr<Resources> parseVolumes(const google::protobuf::RepeatedPtrField<v1::Resource>& volumes,
                                 const VolumeRequester& requester, bool create,
                                 const Resources& existing) {
  if (volumes.empty()) {
    return Status::invalid("'volumes' is empty");
  }
  Resources out;
  for (int i = 0; i < volumes.size(); ++i) {
    const v1::Resource& volume = volumes.Get(i);
    std::string field = "volumes[" + std::to_string(i) + "]";
    Error error = validateVolume(volume, requester);
    const auto& persistence = volume.disk().persistence();
    if (!error && create) {
      error = validateContainerPath(volume.disk().volume().container_path());
    }
    if (!error && create && !requester.principal.empty() && !persistence.principal().empty() &&
        persistence.principal() != requester.principal) {
      error = "disk.persistence.principal '" + persistence.principal() +
              "' is not the framework's principal '" + requester.principal + "'";
    }
    if (!error && create && existing.hasVolume(volume.role(), persistence.id())) {
      error = "disk.persistence.id '" + persistence.id() + "' is already used on this agent " +
              "by a volume of role '" + volume.role() + "'";
    }
    if (!error && out.hasVolume(volume.role(), persistence.id())) {
      error = "disk.persistence.id '" + persistence.id() + "' is listed twice";
    }
    google::protobuf::RepeatedPtrField<v1::Resource> one;
    *one.Add() = volume;
    auto parsed = error ? StatusOr<Resources>(Status::invalid(*error)) : Resources::fromProto(one);
    if (!parsed.isOk()) {
      return Status::invalid(field + ": " + parsed.status().message());
    }
    if (!create && !existing.contains(*parsed)) {
      return Status::invalid(field + ": persistent volume " + parsed->toString() +
                             " does not exist on this agent");
    }
    out += *parsed;
  }
  return out;
}

}  // namespace

StatusOr<Resources> validateCreateVolumes(
    const google::protobuf::RepeatedPtrField<v1::Resource>& volumes,
    const VolumeRequester& requester, const Resources& existing) {
  return parseVolumes(volumes, requester, true, existing);
}

StatusOr<Resources> validateDestroyVolumes(
    const google::protobuf::RepeatedPtrField<v1::Resource>& volumes,
    const VolumeRequester& requester, const Resources& existing) {
  return parseVolumes(volumes, requester, false, existing);
}

}  // namespace agora::master
