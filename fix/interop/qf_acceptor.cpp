// QuickFIX C++ acceptor for the interop test: answers every QuoteRequest with a Quote, and forces one
// sequence gap (before its first Quote) that the fix/ initiator must heal with a ResendRequest.
// Usage: qf_acceptor <settings file>   Stops on stdin EOF or SIGTERM.
#include "interop_common.h"
#include <quickfix/ThreadedSSLSocketAcceptor.h>
#include <csignal>
#include <iostream>
#include <thread>

class AcceptorApp : public InteropApp {
  bool gapDone = false;
 public:
  void onQuoteRequest(const FIX::Message& msg, const FIX::SessionID& id) override {
    FIX::QuoteReqID reqId;
    msg.getField(reqId);
    say("QUOTEREQUEST " + reqId.getValue() + " possdup=" + possDup(msg));
    std::string symbol = "UNKNOWN";
    FIX::NoRelatedSym n;
    if (msg.getFieldIfSet(n) && n.getValue() > 0) {
      FIX44::QuoteRequest::NoRelatedSym g;
      msg.getGroup(1, g);
      FIX::Symbol s;
      if (g.getFieldIfSet(s)) symbol = s.getValue();
    }
    if (!gapDone) { gapDone = true; forceGap(id); }
    FIX44::Quote q{FIX::QuoteID("Q-" + reqId.getValue())};
    q.set(reqId);
    q.set(FIX::Symbol(symbol));
    q.set(FIX::BidPx(99.5));
    q.set(FIX::OfferPx(100.25));
    q.set(FIX::BidSize(1000000));
    q.set(FIX::OfferSize(1000000));
    FIX::Session::sendToTarget(q, id);
  }
};

static std::atomic<bool> stopping{false};
static void onSignal(int) { stopping = true; }

int main(int argc, char** argv) {
  if (argc != 2) { std::cerr << "usage: qf_acceptor <settings>\n"; return 2; }
  try {
    FIX::SessionSettings settings(argv[1]);
    AcceptorApp app;
    FIX::FileStoreFactory store(settings);
    FIX::FileLogFactory log(settings);
    FIX::ThreadedSSLSocketAcceptor acceptor(app, store, settings, log);
    std::signal(SIGTERM, onSignal);
    acceptor.start();
    say("LISTENING");
    std::thread eof([] { std::string l; while (std::getline(std::cin, l)) {} stopping = true; });
    eof.detach();
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    acceptor.stop(true);
    say("STOPPED");
    return 0;
  } catch (std::exception& e) {
    say(std::string("ERROR ") + e.what());
    return 1;
  }
}
