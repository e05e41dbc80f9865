// Starts a cpp-httplib server for a test on 127.0.0.1, on a free port, in its own thread.
// Thread-safety: call from the test's thread; stop the server (server.stop()) and join the
// thread before the server is destroyed.
#ifndef K3_TESTS_UNIT_SUPPORT_LOOPBACK_SERVER_H_
#define K3_TESTS_UNIT_SUPPORT_LOOPBACK_SERVER_H_

#include <httplib.h>

#include <chrono>
#include <thread>

namespace k3::test {

// Binds `server` to 127.0.0.1 on a free port and runs it in `thread`; returns the port once the
// server is accepting, or 0 when binding failed or it was not running within 10 seconds.
inline int StartOnLoopback(httplib::Server& server, std::thread& thread) {
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return 0;
  thread = std::thread([&server] { server.listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  return server.is_running() ? port : 0;
}

}  // namespace k3::test

#endif  // K3_TESTS_UNIT_SUPPORT_LOOPBACK_SERVER_H_
