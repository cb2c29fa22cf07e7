// A QuickFIX C++ trading engine, as an institution would point at the gateway (issue 11): logs on with its
// workload certificate only (no Username/Password), sends one QuoteRequest, hits the first Quote (QuoteResponse
// QuoteRespType=1 at the offer), waits for the ExecutionReport, logs out. Prints one line per event on stdout
// for the test; every message type is accepted (a stock engine must never bounce a standard message back).
// A Logout that answers our Logon (a refusal) is printed with its Text and ends the program.
// With a 4th argument `wait`, after the first Quote it waits for a line on stdin, then forces a sequence gap
// (the gateway must ResendRequest and accept QuickFIX's gap fill) and hits: the test decides when (e.g. after
// a desktop session's re-attestation deadline has passed) without any timing in the program.
// Usage: qf_engine <settings file> <symbol> <quantity> [wait]   exit 0 = traded, 3 = refused at logon, 1 otherwise
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSSLSocketInitiator.h>
#include <quickfix/fix44/QuoteRequest.h>
#include <quickfix/fix44/QuoteResponse.h>
#include <quickfix/fix44/Quote.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

static void say(const std::string& line) {
  static std::mutex m;
  std::lock_guard<std::mutex> g(m);
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

static std::string text(const FIX::Message& msg) {
  FIX::Text t;
  return msg.getFieldIfSet(t) ? t.getValue() : std::string("");
}

class Engine : public FIX::Application {
  std::string symbol;
  double qty;
  std::atomic<bool> hit{false};
  std::thread waiter;
 public:
  bool waitFirst = false;
  ~Engine() { if (waiter.joinable()) waiter.detach(); }
  std::atomic<bool> loggedOn{false};
  std::atomic<bool> traded{false};
  std::atomic<bool> refused{false};
  std::atomic<bool> finished{false};
  Engine(std::string s, double q) : symbol(std::move(s)), qty(q) {}

  void sendHit(const FIX::SessionID& id, const std::string& quoteId, double price) {
    FIX44::QuoteResponse r{FIX::QuoteRespID("HIT-" + std::to_string(getpid())), FIX::QuoteRespType(FIX::QuoteRespType_HIT_LIFT)};
    r.set(FIX::QuoteID(quoteId));
    r.set(FIX::Symbol(symbol));
    r.set(FIX::Side(FIX::Side_BUY));
    r.set(FIX::OrderQty(qty));
    r.set(FIX::Price(price));
    FIX::Session::sendToTarget(r, id);
    say("HIT " + quoteId);
  }
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    loggedOn = true;
    say("LOGON " + id.toString());
    // Unique per run (the gateway refuses a QuoteReqID it has seen from this account).
    FIX44::QuoteRequest req{FIX::QuoteReqID("ENG-" + std::to_string(getpid()))};
    FIX44::QuoteRequest::NoRelatedSym g;
    g.set(FIX::Symbol(symbol));
    g.set(FIX::Side(FIX::Side_BUY));
    g.set(FIX::OrderQty(qty));
    req.addGroup(g);
    FIX::Session::sendToTarget(req, id);
  }
  void onLogout(const FIX::SessionID&) override {
    if (loggedOn) say("LOGOUT");
    finished = true;
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& msg, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    FIX::MsgType t;
    msg.getHeader().getField(t);
    if (t == FIX::MsgType_Logout) {
      if (!loggedOn) refused = true;
      say(std::string(loggedOn ? "LOGOUT-TEXT " : "REFUSED ") + text(msg));
    } else if (t == FIX::MsgType_Reject) {
      say("REJECT " + text(msg));
    } else if (t == FIX::MsgType_ResendRequest) {
      say("ADMIN-IN ResendRequest");
    }
  }
  void fromApp(const FIX::Message& msg, const FIX::SessionID& id)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    FIX::MsgType t;
    msg.getHeader().getField(t);
    if (t == FIX::MsgType_Quote) {
      FIX::QuoteID qid;
      FIX::OfferPx offer;
      msg.getField(qid);
      msg.getField(offer);
      say("QUOTE " + qid.getValue() + " " + offer.getString());
      if (hit.exchange(true)) return;
      std::string q = qid.getValue();
      double px = offer.getValue();
      if (!waitFirst) { sendHit(id, q, px); return; }
      say("WAITING");
      // Not on QuickFIX's thread: heartbeats and test requests go on while we wait.
      waiter = std::thread([this, id, q, px]() {
        std::string line;
        std::getline(std::cin, line);
        FIX::Session* s = FIX::Session::lookupSession(id);
        if (s) {
          int next = s->getExpectedSenderNum();
          s->setNextSenderMsgSeqNum(next + 1);
          say("GAP-FORCED " + std::to_string(next));
        }
        sendHit(id, q, px);
      });
    } else if (t == FIX::MsgType_ExecutionReport) {
      FIX::ExecType et;
      FIX::OrdStatus os;
      msg.getField(et);
      msg.getField(os);
      say(std::string("EXEC ") + et.getValue() + " " + os.getValue() + " " + text(msg));
      traded = et.getValue() == FIX::ExecType_TRADE || et.getValue() == FIX::ExecType_FILL;
      FIX::Session* s = FIX::Session::lookupSession(id);
      if (s) s->logout("engine done");
    } else if (t == FIX::MsgType_BusinessMessageReject || t == FIX::MsgType_QuoteRequestReject) {
      say("DENIED " + text(msg));
      FIX::Session* s = FIX::Session::lookupSession(id);
      if (s) s->logout("engine done");
    } else {
      say("APP " + t.getValue());
    }
  }
};

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) { std::cerr << "usage: qf_engine <settings> <symbol> <qty> [wait]\n"; return 2; }
  try {
    FIX::SessionSettings settings(argv[1]);
    Engine app(argv[2], std::stod(argv[3]));
    app.waitFirst = argc == 5 && std::string(argv[4]) == "wait";
    FIX::FileStoreFactory store(settings);
    FIX::FileLogFactory log(settings);
    FIX::ThreadedSSLSocketInitiator initiator(app, store, settings, log);
    initiator.start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!app.finished && !app.refused && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    initiator.stop(true);
    if (app.refused) { say("END refused"); return 3; }
    say(app.traded ? "END traded" : "END timeout");
    return app.traded ? 0 : 1;
  } catch (std::exception& e) {
    say(std::string("ERROR ") + e.what());
    return 1;
  }
}
