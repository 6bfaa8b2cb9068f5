// frame_reader.cc: the state machine behind FrameReader.
#include "engine/sandbox/frame_reader.h"

#include <algorithm>

#include "guest/abi/abi.h"

namespace instar::sandbox {
namespace {

uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

void FrameReader::deliver() {
  if (consumer_ == nullptr) {
    messages_.push_back(std::move(body_));
  } else if (!consumer_->consume(body_, &rejection_)) {
    state_ = State::kRejected;
  }
  body_.clear();
  body_.shrink_to_fit();  // a consumer keeps what it needs; the next frame reserves its own
}

FrameReader::State FrameReader::feed(const uint8_t* data, size_t size) {
  size_t pos = 0;
  while (pos < size) {
    switch (state_) {
      case State::kReading:
        break;
      case State::kExited:
        state_ = State::kAfterExit;
        return state_;
      default:
        return state_;
    }
    if (in_body_) {
      const size_t take = std::min<size_t>(size - pos, length_ - body_.size());
      body_.append(reinterpret_cast<const char*>(data + pos), take);
      pos += take;
      if (body_.size() == length_) {
        in_body_ = false;
        deliver();
        if (state_ != State::kReading) return state_;
      }
      continue;
    }
    const size_t take = std::min(size - pos, sizeof header_ - have_);
    std::copy_n(data + pos, take, header_ + have_);
    have_ += take;
    pos += take;
    if (have_ < sizeof header_) continue;
    have_ = 0;
    const uint32_t word = load_le32(header_);
    if (in_exit_status_) {
      exit_status_ = static_cast<int32_t>(word);
      in_exit_status_ = false;
      state_ = State::kExited;
      continue;
    }
    if (word == abi::kExitFrame) {
      in_exit_status_ = true;
      continue;
    }
    length_ = word;
    if (length_ > max_message_) {
      state_ = State::kTooLarge;
      return state_;
    }
    total_ += length_ + kPerMessageOverhead;
    if (total_ > max_total_) {
      state_ = State::kTotalExceeded;
      return state_;
    }
    // The body is reserved only after both caps passed.
    body_.reserve(length_);
    in_body_ = true;
    if (length_ == 0) {
      in_body_ = false;
      deliver();
      if (state_ != State::kReading) return state_;
    }
  }
  return state_;
}

}  // namespace instar::sandbox
