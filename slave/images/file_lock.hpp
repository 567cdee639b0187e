// An flock(2) on a file, held for the object's lifetime. Processes of one agent (its
// executors) coordinate on the image store with these: one pull per image at a time, and
// no garbage collection while blobs are in use.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

namespace agora::slave::images {

class FileLock {
 public:
  enum class Mode {
    kShared,           // Waits for exclusive holders.
    kExclusive,        // Waits for every other holder.
    kExclusiveIfFree,  // Does not wait: `held()` says whether it got the lock.
  };
  FileLock(const std::string& path, Mode mode)
      : fd_(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644)) {
    int operation = mode == Mode::kShared      ? LOCK_SH
                    : mode == Mode::kExclusive ? LOCK_EX
                                               : LOCK_EX | LOCK_NB;
    if (fd_ >= 0 && flock(fd_, operation) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // Releases the lock.
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace agora::slave::images
