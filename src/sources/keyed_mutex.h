// sources/keyed_mutex.h: one mutex per key (a source id, a credential id), created on demand and
// dropped when no one holds or waits for it. Serializes long operations on one thing (a sync, a
// token refresh) without blocking the others.
// Thread-safety: all members are thread-safe.
#ifndef K3_SOURCES_KEYED_MUTEX_H_
#define K3_SOURCES_KEYED_MUTEX_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace k3::sources {

class KeyedMutex {
 public:
  // Holds the key's mutex for its lifetime.
  class Lock {
   public:
    Lock(KeyedMutex* owner, std::string key);
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    KeyedMutex* owner_;
    std::string key_;
    std::shared_ptr<std::mutex> mutex_;
  };

  Lock Acquire(std::string key) { return Lock(this, std::move(key)); }

 private:
  struct Entry {
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    int users = 0;  // holders and waiters
  };
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

inline KeyedMutex::Lock::Lock(KeyedMutex* owner, std::string key)
    : owner_(owner), key_(std::move(key)) {
  {
    std::lock_guard lock(owner_->mu_);
    Entry& e = owner_->entries_[key_];
    ++e.users;
    mutex_ = e.mutex;
  }
  mutex_->lock();
}

inline KeyedMutex::Lock::~Lock() {
  mutex_->unlock();
  std::lock_guard lock(owner_->mu_);
  auto it = owner_->entries_.find(key_);
  if (--it->second.users == 0) owner_->entries_.erase(it);
}

}  // namespace k3::sources

#endif  // K3_SOURCES_KEYED_MUTEX_H_
