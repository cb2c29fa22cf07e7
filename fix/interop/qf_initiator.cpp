// QuickFIX C++ initiator for the interop test: logs on, sends QuoteRequest QR1; on its Quote forces a
// sequence gap and sends QR2 and QR3 (the fix/ acceptor must ResendRequest and accept the GapFill); when
// Quotes for all three have arrived (the test makes the fix/ side lose one, which QuickFIX must recover
// by ResendRequest), logs out and exits 0. Exits 1 after 60 s without finishing.
// Usage: qf_initiator <settings file>
#include "interop_common.h"
#include <quickfix/ThreadedSSLSocketInitiator.h>
#include <chrono>
#include <iostream>
#include <thread>

class InitiatorApp : public InteropApp {
  std::set<std::string> quoted;
  bool sentMore = false;
 public:
  std::atomic<bool> done{false};
  void logonHook(const FIX::SessionID& id) override {
    FIX::Message r = quoteRequest("QR1", "XS0000000001");
    FIX::Session::sendToTarget(r, id);
  }
  void onQuote(const FIX::Message& msg, const FIX::SessionID& id) override {
    FIX::QuoteReqID reqId;
    FIX::QuoteID qid;
    msg.getField(reqId);
    msg.getField(qid);
    say("QUOTE " + reqId.getValue() + " " + qid.getValue() + " possdup=" + possDup(msg));
    quoted.insert(reqId.getValue());
    if (reqId.getValue() == "QR1" && !sentMore) {
      sentMore = true;
      forceGap(id);
      FIX::Message r2 = quoteRequest("QR2", "XS0000000002");
      FIX::Message r3 = quoteRequest("QR3", "XS0000000003");
      FIX::Session::sendToTarget(r2, id);
      FIX::Session::sendToTarget(r3, id);
    }
    if (quoted.size() == 3 && !done) {
      done = true;
      FIX::Session* s = FIX::Session::lookupSession(id);
      if (s) s->logout("interop done");
    }
  }
};

int main(int argc, char** argv) {
  if (argc != 2) { std::cerr << "usage: qf_initiator <settings>\n"; return 2; }
  try {
    FIX::SessionSettings settings(argv[1]);
    InitiatorApp app;
    FIX::FileStoreFactory store(settings);
    FIX::FileLogFactory log(settings);
    FIX::ThreadedSSLSocketInitiator initiator(app, store, settings, log);
    initiator.start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!app.loggedOut && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    initiator.stop(true);
    say(app.done && app.loggedOut ? "DONE" : "TIMEOUT");
    return app.done && app.loggedOut ? 0 : 1;
  } catch (std::exception& e) {
    say(std::string("ERROR ") + e.what());
    return 1;
  }
}
