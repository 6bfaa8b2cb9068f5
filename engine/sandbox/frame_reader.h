// frame_reader.h: incremental parser of the process guest's message pipe, with hard caps.
//
// The stream is: frames of [u32 LE length][length bytes], then one exit frame
// [kExitFrame][i32 LE status], then EOF. Everything the guest writes is hostile: lengths are
// checked against the caps before a byte of the body is buffered.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/sandbox/sandbox.h"

namespace instar::sandbox {

class FrameReader {
 public:
  enum class State {
    kReading,        // more input expected
    kExited,         // exit frame seen; only EOF may follow
    kTooLarge,       // a frame above max_message_bytes (kResourceLimit)
    kTotalExceeded,  // messages above max_total_message_bytes (kResourceLimit)
    kAfterExit,      // bytes after the exit frame (kGuestFault)
    kRejected,       // the consumer refused a message (kGuestFault, rejection() says why)
  };

  // Each message is charged its length plus kPerMessageOverhead against `max_total`, so a flood
  // of empty frames cannot grow host memory without bound either.
  static constexpr uint64_t kPerMessageOverhead = 32;

  // With a `consumer`, each message is handed to it as soon as its frame is complete and is not
  // kept; without one, messages() collects them.
  FrameReader(uint64_t max_message, uint64_t max_total, MessageConsumer* consumer = nullptr)
      : max_message_(max_message), max_total_(max_total), consumer_(consumer) {}

  // Consumes `size` bytes. Returns the state after them; once it is an error state, further
  // input is ignored.
  State feed(const uint8_t* data, size_t size);

  State state() const { return state_; }
  // True when input stopped inside a frame (header or body incomplete).
  bool mid_frame() const {
    return state_ == State::kReading && (have_ != 0 || in_body_ || in_exit_status_);
  }
  int32_t exit_status() const { return exit_status_; }
  uint32_t rejected_length() const { return length_; }
  std::vector<std::string>& messages() { return messages_; }
  const std::string& rejection() const { return rejection_; }

 private:
  void deliver();  // the completed body_ goes to the consumer or messages_

  uint64_t max_message_;
  uint64_t max_total_;
  uint64_t total_ = 0;
  State state_ = State::kReading;
  uint8_t header_[4] = {};
  size_t have_ = 0;  // bytes of the current header (or exit status) collected
  bool in_body_ = false;
  bool in_exit_status_ = false;
  uint32_t length_ = 0;
  int32_t exit_status_ = 0;
  std::string body_;
  std::vector<std::string> messages_;
  MessageConsumer* consumer_;
  std::string rejection_;
};

}  // namespace instar::sandbox
