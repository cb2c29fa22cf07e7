// QuickFIX C++ side of the codec benchmark: decodes the same messages the JS side does — parse with the FIX 4.4
// DataDictionary (BodyLength/CheckSum checked, repeating groups built), then DataDictionary::validate — and
// re-encodes them with Message::toString(). Also reports parsing alone, for reference. Built at run time by bench/codec/run.ts:
//   g++ -std=gnu++14 -O2 -DHAVE_SSL=1 quickfix_bench.cpp -lquickfix -lssl -lcrypto -lpthread
// Usage: quickfix_bench <FIX44.xml> <messages file, one message per line> <milliseconds per round> <rounds>
// Prints one JSON line.
#include <quickfix/DataDictionary.h>
#include <quickfix/Message.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>
#include <time.h>

static double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// CPU time of this process: the machine is shared, so wall time alone mostly measures the neighbours.
static double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Rate { double wall, cpu; };

template <class F>
static Rate median_rate(size_t count, double min_ms, int rounds, F op) {
  double warm_end = now_ms() + std::min(min_ms, 200.0);
  while (now_ms() < warm_end) op();
  std::vector<double> walls, cpus;
  for (int r = 0; r < rounds; ++r) {
    long passes = 0;
    double c0 = cpu_ms();
    double t0 = now_ms(), t1 = t0;
    while (t1 - t0 < min_ms) {
      op();
      ++passes;
      t1 = now_ms();
    }
    double c1 = cpu_ms();
    walls.push_back(passes * (double)count / ((t1 - t0) / 1000.0));
    cpus.push_back(passes * (double)count / ((c1 - c0) / 1000.0));
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return Rate{walls[walls.size() / 2], cpus[cpus.size() / 2]};
}

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: quickfix_bench <FIX44.xml> <messages> <ms per round> <rounds>\n";
    return 2;
  }
  try {
    FIX::DataDictionary dd(argv[1]);
    std::ifstream in(argv[2], std::ios::binary);
    std::vector<std::string> msgs;
    for (std::string line; std::getline(in, line);) if (!line.empty()) msgs.push_back(line);
    if (msgs.empty()) { std::cerr << "no messages\n"; return 2; }
    double min_ms = std::stod(argv[3]);
    int rounds = std::stoi(argv[4]);

    // Every message must parse and validate, or the comparison would be meaningless.
    for (const auto& s : msgs) {
      FIX::Message m(s, dd, true);
      dd.validate(m);
    }
    size_t sink = 0;
    Rate decode = median_rate(msgs.size(), min_ms, rounds, [&]() {
      for (const auto& s : msgs) {
        FIX::Message m(s, dd, true);
        dd.validate(m);
        sink += m.getHeader().getField(FIX::FIELD::MsgSeqNum).size();
      }
    });
    // For reference: parsing alone (BodyLength/CheckSum, groups via the dictionary), no DataDictionary::validate.
    Rate parse = median_rate(msgs.size(), min_ms, rounds, [&]() {
      for (const auto& s : msgs) {
        FIX::Message m(s, dd, true);
        sink += m.getHeader().getField(FIX::FIELD::MsgSeqNum).size();
      }
    });
    std::vector<FIX::Message> parsed;
    for (const auto& s : msgs) parsed.emplace_back(s, dd, true);
    Rate encode = median_rate(msgs.size(), min_ms, rounds, [&]() {
      for (const auto& m : parsed) sink += m.toString().size();
    });
    std::printf("{\"decode\":{\"wall\":%.0f,\"cpu\":%.0f},\"parse\":{\"wall\":%.0f,\"cpu\":%.0f},"
                "\"encode\":{\"wall\":%.0f,\"cpu\":%.0f},\"messages\":%zu,\"sink\":%zu}\n",
                decode.wall, decode.cpu, parse.wall, parse.cpu, encode.wall, encode.cpu, msgs.size(), sink % 7);
  } catch (const std::exception& e) {
    std::cerr << "quickfix_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
